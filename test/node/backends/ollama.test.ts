import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { createOllamaBackend, toOllamaChatBody, toPublicOllamaId } from '../../../node/backends/ollama.ts'
import type { ChatRequest } from '../../../node/backends/types.ts'
import { estimatePromptTokens } from '../../../node/backends/usage.ts'
import { startFakeOllama } from '../../helpers/fakeBackends/ollama.ts'
import { defaultFakeReply, fakePromptTokens } from '../../helpers/fakeBackends/pacer.ts'
import { collect, rejectsWith, replyTokens, waitFor } from './collect.ts'

const request: ChatRequest = { model: 'llama3', messages: [{ role: 'user', content: 'Say hello to the network' }] }

test('toPublicOllamaId and toOllamaChatBody are pure translations', () => {
  assert.equal(toPublicOllamaId('llama3:latest'), 'llama3')
  assert.equal(toPublicOllamaId('llama3:8b'), 'llama3:8b')
  assert.deepEqual(toOllamaChatBody({ ...request, params: { max_tokens: 5, temperature: 0, top_p: 1, stop: ['x'], seed: 1, num_ctx: 4096 } }), {
    model: 'llama3',
    messages: request.messages,
    stream: true,
    options: { num_ctx: 4096, num_predict: 5, temperature: 0, top_p: 1, stop: ['x'], seed: 1 },
  })
  assert.equal('options' in toOllamaChatBody(request), false)
  // A named field wins over a pass-through option it translates to.
  assert.deepEqual(toOllamaChatBody({ ...request, params: { num_predict: 9, max_tokens: 5 } }).options, { num_predict: 5 })
})

describe('ollama adapter against the fake', async () => {
  const fake = await startFakeOllama({ models: ['llama3', 'qwen2.5:0.5b'], pullable: ['phi3'] })
  after(() => fake.close())
  const backend = createOllamaBackend({ baseUrl: fake.url, timeoutMs: 2000 })

  test('happy path with name and name:latest', async () => {
    for (const model of ['llama3', 'llama3:latest']) {
      const { text, done, chunks } = await collect(backend.chat({ ...request, model }))
      assert.equal(text, defaultFakeReply)
      // One delta per network read: a whole unpaced reply may come in one read, and never splits a token.
      assert.ok(chunks.length >= 2 && chunks.length <= replyTokens + 1, `${chunks.length} chunks`)
      assert.ok(chunks.slice(0, -1).every((c) => c.type === 'delta' && c.text.length > 0))
      assert.deepEqual(done, { type: 'done', usage: { promptTokens: fakePromptTokens(request.messages), completionTokens: replyTokens }, finishReason: 'stop' })
    }
  })

  test('num_predict -> length; usage omitted -> counted', async () => {
    fake.setFaults({})
    const { text, done } = await collect(backend.chat({ ...request, params: { max_tokens: 2 } }))
    assert.equal(text, 'Hello from')
    assert.equal(done.finishReason, 'length')
    fake.setFaults({ usage: false })
    const r = await collect(backend.chat(request))
    assert.deepEqual(r.done.usage, { promptTokens: estimatePromptTokens(request.messages), completionTokens: replyTokens })
    fake.setFaults({})
  })

  test('continueFinal sends the trailing assistant message as-is', async () => {
    await collect(backend.chat({ ...request, messages: [...request.messages, { role: 'assistant', content: 'Hello' }], continueFinal: true }))
    const msgs = fake.stats.lastChatBody?.messages as { role: string }[]
    assert.equal(msgs.at(-1)?.role, 'assistant')
  })

  test('models: tags mapped to public ids, loaded from /api/ps, resolveModel both spellings', async () => {
    const models = await backend.listModels()
    assert.deepEqual(
      models.map((m) => [m.id, m.backendId, m.loaded]),
      [['llama3', 'llama3:latest', true], ['qwen2.5:0.5b', 'qwen2.5:0.5b', false]],
    )
    assert.equal(models[0]?.sizeBytes, 4661224676)
    // Identity: Ollama's manifest digest, per model.
    assert.match(models[0]?.digest ?? '', /^ollama:[0-9a-f]{64}$/)
    assert.notEqual(models[0]?.digest, models[1]?.digest)
    assert.deepEqual(await backend.loadedModels(), ['llama3'])
    assert.equal((await backend.resolveModel('llama3:latest'))?.id, 'llama3')
    assert.equal((await backend.resolveModel('llama3'))?.backendId, 'llama3:latest')
    assert.equal(await backend.resolveModel('mistral'), undefined)
  })

  test('health reports the version; refused -> not ok', async () => {
    assert.deepEqual(await backend.health(), { ok: true, version: '0.32.15' })
    const h = await createOllamaBackend({ baseUrl: 'http://127.0.0.1:1' }).health()
    assert.equal(h.ok, false)
    if (!h.ok) assert.match(h.reason, /^unavailable/)
  })

  test('pull streams progress and lists the model; unknown model fails', async () => {
    const seen: string[] = []
    let lastCompleted = 0
    await backend.pull?.('phi3', {
      onProgress: (p) => {
        seen.push(p.status)
        if (p.completed !== undefined) lastCompleted = p.completed
      },
    })
    assert.equal(seen[0], 'pulling manifest')
    assert.equal(seen.at(-1), 'success')
    assert.equal(lastCompleted, 4661224676)
    assert.ok(await backend.resolveModel('phi3'))
    await rejectsWith(backend.pull?.('nope') ?? Promise.resolve(), 'model-not-found')
  })

  test('faults map to reasons', async () => {
    await rejectsWith(collect(backend.chat({ ...request, model: 'mistral' })), 'model-not-found')
    fake.setFaults({ loading503: 1 })
    const busy = await rejectsWith(collect(backend.chat(request)), 'unavailable')
    assert.equal(busy.retryAfterMs, 1000)
    assert.equal(busy.status, 503)
    fake.setFaults({ midStreamErrorAfter: 2 })
    const mid = await rejectsWith(collect(backend.chat(request)), 'stream-error')
    assert.match(mid.details ?? '', /unexpected EOF/)
    fake.setFaults({ dropAfter: 2 })
    await rejectsWith(collect(backend.chat(request)), 'stream-error')
    fake.setFaults({ hang: true })
    const before = fake.stats.cancelled
    await rejectsWith(collect(createOllamaBackend({ baseUrl: fake.url, timeoutMs: 150 }).chat(request)), 'timeout')
    await waitFor(() => fake.stats.cancelled === before + 1)
    fake.setFaults({})
  })

  test('abort cancels the upstream request', async () => {
    const slow = await startFakeOllama({ tokensPerSecond: 50 })
    try {
      const b = createOllamaBackend({ baseUrl: slow.url })
      const controller = new AbortController()
      await rejectsWith(
        (async () => {
          for await (const c of b.chat(request, { signal: controller.signal })) if (c.type === 'delta') controller.abort()
        })(),
        'cancelled',
      )
      await waitFor(() => slow.stats.cancelled === 1 && slow.stats.activeStreams === 0)
    } finally {
      await slow.close()
    }
  })
})

test('an idle gap after the headers (slow first token, no keep-alive) -> timeout', async () => {
  const slow = await startFakeOllama({ ttftMs: 1000 })
  try {
    await rejectsWith(collect(createOllamaBackend({ baseUrl: slow.url, timeoutMs: 100 }).chat(request)), 'timeout')
    await waitFor(() => slow.stats.cancelled === 1)
  } finally {
    await slow.close()
  }
})
