// The OpenAI-compatible gateway end to end: the official `openai` package against a real coordinator, real relay
// and real node daemons with fake Ollama backends. Errors surface as the package's typed errors.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import OpenAI, { AuthenticationError, NotFoundError, RateLimitError, BadRequestError } from 'openai'
import { startCoordinator, type TestCoordinator } from '../helpers/coordinator.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import type { FakeBackendServer } from '../helpers/fakeBackends/pacer.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const reply = 'The gateway answers through the network, one token at a time.'

async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

describe('OpenAI-compatible gateway', () => {
  let relay: TestRelay
  let fake: FakeBackendServer
  let node: TestNode
  let coord: TestCoordinator
  const openai = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${coord.url}/v1`, maxRetries: 0 })

  before(async () => {
    relay = await startRelay()
    fake = await startFakeOllama({ models: ['llama3'], reply, tokensPerSecond: 300 })
    // Priced at 1 base unit per million tokens: every job costs exactly 1 (amounts round up).
    node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, price: { input: '1', output: '1' } })
    coord = await startCoordinator({
      relays: [relay.url],
      apiKeys: ['sk-test-open-000', { key: 'sk-test-budget-0', budget: '1' }, { key: 'sk-test-rate-000', ratePerMinute: 1 }],
    })
    await waitFor(() => coord.coordinator.market.hasModel('llama3', Math.floor(Date.now() / 1000)), 'the node in the market')
  })
  after(async () => {
    await coord?.close()
    await node?.stop()
    await fake?.close()
    await relay?.close()
  })

  it('lists models', async () => {
    const list = await openai('sk-test-open-000').models.list()
    assert.deepEqual(list.data.map((m) => [m.id, m.object, m.owned_by]), [['llama3', 'model', 'infernet']])
  })

  it('answers a chat completion, non-streaming, with usage', async () => {
    const res = await openai('sk-test-open-000').chat.completions.create({
      model: 'llama3',
      messages: [{ role: 'user', content: 'hello' }],
      max_tokens: 100,
    })
    assert.equal(res.object, 'chat.completion')
    assert.equal(res.choices[0]!.message.content, reply)
    assert.equal(res.choices[0]!.finish_reason, 'stop')
    assert.ok(res.usage!.completion_tokens > 0)
    assert.equal(res.usage!.total_tokens, res.usage!.prompt_tokens + res.usage!.completion_tokens)
    assert.match(JSON.stringify(fake.stats.lastChatBody), /"num_predict":100/)
  })

  it('streams a chat completion with stream_options.include_usage and [DONE]', async () => {
    const stream = await openai('sk-test-open-000').chat.completions.create({
      model: 'llama3',
      messages: [{ role: 'user', content: 'hello' }],
      stream: true,
      stream_options: { include_usage: true },
    })
    let text = ''
    const finishes: (string | null)[] = []
    let usage: OpenAI.CompletionUsage | undefined | null
    let chunks = 0
    for await (const chunk of stream) {
      chunks++
      if (chunk.usage) usage = chunk.usage
      for (const c of chunk.choices) {
        text += c.delta.content ?? ''
        finishes.push(c.finish_reason)
      }
    }
    assert.equal(text, reply)
    assert.ok(chunks > 3, `streamed in ${chunks} chunks`)
    assert.equal(finishes.at(-1), 'stop')
    assert.ok(usage && usage.completion_tokens > 0)
  })

  it('answers legacy completions (the prompt becomes one user message)', async () => {
    const res = await openai('sk-test-open-000').completions.create({ model: 'llama3', prompt: 'complete me' })
    assert.equal(res.choices[0]!.text, reply)
    assert.match(JSON.stringify(fake.stats.lastChatBody), /complete me/)
  })

  it('maps errors to OpenAI error objects: unknown model, bad key, bad request, exhausted budget, rate limit', async () => {
    const client = openai('sk-test-open-000')
    await assert.rejects(client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }), (err: unknown) => {
      assert.ok(err instanceof NotFoundError)
      assert.equal(err.code, 'model_not_found')
      return true
    })
    await assert.rejects(openai('sk-wrong-key-123').models.list(), (err: unknown) => err instanceof AuthenticationError && err.code === 'invalid_api_key')
    await assert.rejects(client.chat.completions.create({ model: 'llama3', messages: [] }), (err: unknown) => err instanceof BadRequestError && err.param === 'messages')
    await assert.rejects(
      client.chat.completions.create({ model: 'llama3', messages: [{ role: 'user', content: 'x' }], temperature: 9 }),
      (err: unknown) => err instanceof BadRequestError && err.param === 'temperature',
    )
    const budget = openai('sk-test-budget-0')
    await budget.chat.completions.create({ model: 'llama3', messages: [{ role: 'user', content: 'spend' }] })
    await assert.rejects(budget.chat.completions.create({ model: 'llama3', messages: [{ role: 'user', content: 'again' }] }), (err: unknown) => {
      assert.ok(err instanceof RateLimitError)
      assert.equal(err.code, 'insufficient_quota')
      return true
    })
    const rate = openai('sk-test-rate-000')
    await rate.models.list()
    await assert.rejects(rate.models.list(), (err: unknown) => {
      assert.ok(err instanceof RateLimitError)
      assert.equal(err.code, 'rate_limit_exceeded')
      assert.ok(Number(err.headers?.get('retry-after')) >= 1)
      return true
    })
    // Raw HTTP: malformed JSON is a 400 in OpenAI's shape.
    const raw = await fetch(`${coord.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer sk-test-open-000', 'content-type': 'application/json' }, body: '{"model":' })
    assert.equal(raw.status, 400)
    const body = (await raw.json()) as { error: { type: string; code: string; param: unknown; message: string } }
    assert.equal(body.error.type, 'invalid_request_error')
    assert.equal(body.error.code, 'invalid_json')
    const huge = await fetch(`${coord.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test-open-000', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'llama3', messages: [{ role: 'user', content: 'x'.repeat(2 * 1024 * 1024) }] }),
    })
    assert.equal(huge.status, 413)
    assert.equal(((await huge.json()) as { error: { code: string } }).error.code, 'payload_too_large')
    // The process is unharmed.
    const ok = await client.chat.completions.create({ model: 'llama3', messages: [{ role: 'user', content: 'still here?' }] })
    assert.equal(ok.choices[0]!.message.content, reply)
  })
})
