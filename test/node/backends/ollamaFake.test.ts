// The fake Ollama's wire contract, exercised with plain fetch (see the header of test/helpers/fakeBackends/ollama.ts).
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { startFakeOllama } from '../../helpers/fakeBackends/ollama.ts'
import { defaultFakeReply } from '../../helpers/fakeBackends/pacer.ts'

describe('fake Ollama wire format', async () => {
  const fake = await startFakeOllama({
    models: ['llama3', 'qwen3', 'nomic-embed-text'],
    capabilities: { qwen3: ['completion', 'tools', 'thinking'], 'nomic-embed-text': ['embedding'] },
    toolCalls: [{ name: 'get_weather', arguments: { city: 'Tokyo' } }],
  })
  after(() => fake.close())
  const post = (path: string, body: unknown) => fetch(fake.url + path, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) })
  const lines = async (res: Response) => (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
  const user = [{ role: 'user', content: 'hi there' }]
  const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }]

  test('streaming: one NDJSON record per token, then the done record with metrics', async () => {
    const res = await post('/api/chat', { model: 'llama3', messages: user, keep_alive: '5m', options: { temperature: 0, seed: 1, num_ctx: 2048 } })
    assert.equal(res.headers.get('content-type'), 'application/x-ndjson')
    const recs = await lines(res)
    const last = recs.at(-1) as Record<string, unknown>
    assert.equal(recs.slice(0, -1).map((r) => (r.message as { content: string }).content).join(''), defaultFakeReply)
    assert.equal(last.done, true)
    assert.equal(last.done_reason, 'stop')
    for (const k of ['total_duration', 'load_duration', 'prompt_eval_count', 'prompt_eval_duration', 'eval_count', 'eval_duration']) assert.equal(typeof last[k], 'number', k)
    assert.deepEqual(fake.received.at(-1)?.path, '/api/chat')
  })

  test('stream:false: one JSON object; num_predict -> length; stop cuts', async () => {
    const res = await post('/api/chat', { model: 'llama3', messages: user, stream: false, options: { num_predict: 2 } })
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
    const body = (await res.json()) as { message: { content: string }; done_reason: string; eval_count: number }
    assert.deepEqual([body.message.content, body.done_reason, body.eval_count], ['Hello from', 'length', 2])
    const cut = (await (await post('/api/chat', { model: 'llama3', messages: user, stream: false, options: { stop: [' fake'] } })).json()) as { message: { content: string } }
    assert.equal(cut.message.content, 'Hello from the')
  })

  test('tools: whole tool calls with object arguments; a model without tools -> 400', async () => {
    const recs = await lines(await post('/api/chat', { model: 'llama3', messages: user, tools }))
    const calls = (recs[0]?.message as { tool_calls: { id: string; function: { index: number; name: string; arguments: unknown } }[] }).tool_calls
    assert.match(calls[0]?.id ?? '', /^call_[a-z0-9]{8}$/)
    assert.deepEqual(calls[0]?.function, { index: 0, name: 'get_weather', arguments: { city: 'Tokyo' } })
    assert.equal(recs.at(-1)?.done, true)
    const noTools = await startFakeOllama({ capabilities: { llama3: ['completion'] } })
    try {
      const res = await fetch(noTools.url + '/api/chat', { method: 'POST', body: JSON.stringify({ model: 'llama3', messages: user, tools }) })
      assert.equal(res.status, 400)
      assert.deepEqual(await res.json(), { error: 'registry.ollama.ai/library/llama3:latest does not support tools' })
    } finally {
      await noTools.close()
    }
  })

  test('think: a thinking model sends message.thinking; others refuse think', async () => {
    const body = (await (await post('/api/chat', { model: 'qwen3', messages: user, think: 'high', stream: false })).json()) as { message: { thinking?: string; content: string } }
    assert.ok(body.message.thinking && body.message.content === defaultFakeReply)
    const off = (await (await post('/api/chat', { model: 'qwen3', messages: user, think: false, stream: false })).json()) as { message: { thinking?: string } }
    assert.equal(off.message.thinking, undefined)
    const res = await post('/api/chat', { model: 'llama3', messages: user, think: true })
    assert.equal(res.status, 400)
    assert.deepEqual(await res.json(), { error: '"llama3" does not support thinking' })
    assert.equal((await post('/api/chat', { model: 'qwen3', messages: user, think: 'extreme' })).status, 400)
  })

  test('logprobs: one entry per token, top_logprobs alternatives; range checked', async () => {
    const recs = await lines(await post('/api/chat', { model: 'llama3', messages: user, logprobs: true, top_logprobs: 3 }))
    const lp = (recs[0]?.logprobs as { token: string; logprob: number; bytes: number[]; top_logprobs: unknown[] }[])[0]
    assert.equal(lp?.token, 'Hello')
    assert.deepEqual(lp?.bytes, [...Buffer.from('Hello')])
    assert.equal(lp?.top_logprobs.length, 3)
    const bad = await post('/api/chat', { model: 'llama3', messages: user, logprobs: true, top_logprobs: 21 })
    assert.deepEqual([bad.status, await bad.json()], [400, { error: 'top_logprobs must be between 0 and 20' }])
  })

  test('format: json and schema replies; images accepted, bad base64 refused', async () => {
    const j = (await (await post('/api/chat', { model: 'llama3', messages: user, format: 'json', stream: false })).json()) as { message: { content: string } }
    assert.deepEqual(JSON.parse(j.message.content), { reply: defaultFakeReply })
    const schema = { type: 'object', properties: { age: { type: 'integer' }, available: { type: 'boolean' } }, required: ['age', 'available'] }
    const s = (await (await post('/api/chat', { model: 'llama3', messages: user, format: schema, stream: false })).json()) as { message: { content: string } }
    assert.deepEqual(JSON.parse(s.message.content), { age: 1, available: true })
    assert.equal((await post('/api/chat', { model: 'llama3', messages: user, format: 'xml' })).status, 500)
    assert.equal((await post('/api/chat', { model: 'llama3', messages: [{ ...user[0], images: ['iVBORw0KGgo='] }], stream: false })).status, 200)
    assert.equal((await post('/api/chat', { model: 'llama3', messages: [{ ...user[0], images: ['not base64!'] }] })).status, 400)
  })

  test('errors: body, types, model', async () => {
    assert.deepEqual(await (await post('/api/chat', '')).json(), { error: 'missing request body' })
    assert.equal((await post('/api/chat', '{"model":')).status, 400)
    assert.equal((await post('/api/chat', { model: 'llama3', messages: user, stream: 'yes' })).status, 400)
    assert.deepEqual(await (await post('/api/chat', { model: '', messages: user })).json(), { error: 'model is required' })
    const missing = await post('/api/chat', { model: 'mistral', messages: user })
    assert.deepEqual([missing.status, await missing.json()], [404, { error: "model 'mistral' not found" }])
    const load = (await (await post('/api/chat', { model: 'llama3', messages: [] })).json()) as { done_reason: string }
    assert.equal(load.done_reason, 'load')
  })

  test('show, ps, tags, version, embed', async () => {
    const show = (await (await post('/api/show', { model: 'qwen3' })).json()) as { capabilities: string[]; model_info: Record<string, unknown> }
    assert.deepEqual(show.capabilities, ['completion', 'tools', 'thinking'])
    assert.equal(show.model_info['llama.context_length'], 8192)
    assert.equal((await post('/api/show', { model: 'mistral' })).status, 404)
    const ps = (await (await fetch(fake.url + '/api/ps')).json()) as { models: { name: string; context_length: number }[] }
    assert.deepEqual(ps.models.map((m) => [m.name, m.context_length]), [['llama3:latest', 4096]])
    assert.equal(((await (await fetch(fake.url + '/api/tags')).json()) as { models: unknown[] }).models.length, 3)
    assert.deepEqual(await (await fetch(fake.url + '/api/version')).json(), { version: '0.32.15' })
    const e = (await (await post('/api/embed', { model: 'nomic-embed-text', input: ['a b', 'c'] })).json()) as { embeddings: number[][]; prompt_eval_count: number }
    assert.equal(e.embeddings.length, 2)
    assert.ok(Math.abs(Math.hypot(...(e.embeddings[0] ?? [])) - 1) < 1e-5)
    assert.equal(e.prompt_eval_count, 3)
    assert.deepEqual(await (await post('/api/embed', { model: 'nomic-embed-text', input: 5 })).json(), { error: 'invalid input type' })
  })
})
