import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { createBackend } from '../../../node/backends/index.ts'
import type { BackendKind, ChatRequest } from '../../../node/backends/types.ts'
import { estimatePromptTokens } from '../../../node/backends/usage.ts'
import { defaultFakeReply, fakePromptTokens } from '../../helpers/fakeBackends/pacer.ts'
import { startFakeOpenAI } from '../../helpers/fakeBackends/openai.ts'
import type { OpenAIFlavor } from '../../helpers/fakeBackends/openai.ts'
import { collect, rejectsWith, replyTokens, waitFor } from './collect.ts'

const request: ChatRequest = { model: 'fake-model', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello to the network' }] }

for (const flavor of ['vllm', 'sglang', 'max', 'llamacpp'] as const satisfies readonly OpenAIFlavor[]) {
  describe(`${flavor} adapter against its fake`, async () => {
    const fake = await startFakeOpenAI({ flavor, models: ['fake-model'] })
    after(() => fake.close())
    const backend = createBackend({ kind: flavor as BackendKind, baseUrl: fake.url, timeoutMs: 2000 })

    test('happy path: deltas concatenate to the reply, usage is the reported one', async () => {
      fake.setFaults({})
      const { text, done, chunks } = await collect(backend.chat(request))
      assert.equal(text, defaultFakeReply)
      // One delta per network read: a whole unpaced reply may come in one read, and never splits a token.
      assert.ok(chunks.length >= 2 && chunks.length <= replyTokens + 1, `${chunks.length} chunks`)
      assert.ok(chunks.slice(0, -1).every((c) => c.type === 'delta' && c.text.length > 0))
      assert.deepEqual(done, { type: 'done', usage: { promptTokens: fakePromptTokens(request.messages), completionTokens: replyTokens }, finishReason: 'stop' })
      assert.equal(fake.stats.lastChatBody?.stream, true)
      assert.deepEqual(fake.stats.lastChatBody?.stream_options, { include_usage: true })
    })

    test('max_tokens truncates with finishReason length; parameters reach the wire', async () => {
      fake.setFaults({})
      const { text, done } = await collect(backend.chat({ ...request, params: { max_tokens: 3, temperature: 0.5, top_p: 0.9, seed: 7, stop: ['\n'], top_k: 20 } }))
      assert.equal(text, 'Hello from the')
      assert.equal(done.finishReason, 'length')
      assert.equal(done.usage.completionTokens, 3)
      const body = fake.stats.lastChatBody
      assert.equal(body?.max_tokens, 3)
      assert.equal(body?.temperature, 0.5)
      assert.equal(body?.top_p, 0.9)
      assert.equal(body?.seed, 7)
      assert.deepEqual(body?.stop, ['\n'])
      assert.equal(body?.top_k, 20)
    })

    test('usage omitted: completion counted from deltas, prompt estimated', async () => {
      fake.setFaults({ usage: false })
      const { done } = await collect(backend.chat(request))
      assert.deepEqual(done.usage, { promptTokens: estimatePromptTokens(request.messages), completionTokens: replyTokens })
    })

    test('continueFinal', async () => {
      fake.setFaults({})
      await collect(backend.chat({ ...request, messages: [...request.messages, { role: 'assistant', content: 'Hello from' }], continueFinal: true }))
      const body = fake.stats.lastChatBody
      if (flavor !== 'max') {
        assert.equal(body?.continue_final_message, true)
        assert.equal(body?.add_generation_prompt, false)
      } else assert.equal(body?.continue_final_message, undefined)
      assert.equal((body?.messages as unknown[]).length, 3)
    })

    test('listModels, loadedModels, resolveModel', async () => {
      fake.setFaults({})
      const models = await backend.listModels()
      assert.equal(models.length, 1)
      assert.equal(models[0]?.id, 'fake-model')
      assert.equal(models[0]?.backendId, 'fake-model')
      if (flavor === 'vllm' || flavor === 'sglang') assert.equal(models[0]?.contextLength, 32768)
      // llama-server serves n_ctx per slot, not the training context: a longer prompt is refused.
      if (flavor === 'llamacpp') assert.equal(models[0]?.contextLength, 8192)
      assert.deepEqual(await backend.loadedModels(), ['fake-model'])
      assert.equal((await backend.resolveModel('fake-model'))?.id, 'fake-model')
      assert.equal(await backend.resolveModel('other'), undefined)
    })

    test('health ok, then 503 while loading (with Retry-After), chat 503 -> loading', async () => {
      fake.setFaults({})
      const ok = await backend.health()
      assert.equal(ok.ok, true)
      if (flavor === 'vllm') assert.deepEqual(ok, { ok: true, version: '0.8.5' })
      fake.setFaults({ loading503: 1 })
      const h = await backend.health()
      assert.deepEqual(h, { ok: false, reason: 'loading', retryAfterMs: 1000 })
      const err = await rejectsWith(collect(backend.chat(request)), 'loading')
      assert.equal(err.retryable, true)
      assert.equal(err.retryAfterMs, 1000)
      assert.equal(err.status, 503)
      assert.equal((await collect(backend.chat(request))).text, defaultFakeReply)
    })

    test('unknown model -> model-not-found', { skip: flavor === 'llamacpp' ? 'llama-server serves its one model whatever the name' : false }, async () => {
      fake.setFaults({})
      const err = await rejectsWith(collect(backend.chat({ ...request, model: 'nope' })), 'model-not-found')
      assert.equal(err.retryable, false)
    })

    test('pings are ignored and keep a slow first token from timing out', async () => {
      const slow = await startFakeOpenAI({ flavor, models: ['fake-model'], ttftMs: 400, faults: { pingEveryMs: 50 } })
      try {
        const b = createBackend({ kind: flavor, baseUrl: slow.url, timeoutMs: 200 })
        assert.equal((await collect(b.chat(request))).text, defaultFakeReply)
      } finally {
        await slow.close()
      }
    })

    test('mid-stream error -> stream-error after the deltas before it', async () => {
      fake.setFaults({ midStreamErrorAfter: 3 })
      const texts: string[] = []
      const err = await rejectsWith(
        (async () => {
          for await (const c of backend.chat(request)) if (c.type === 'delta') texts.push(c.text)
        })(),
        'stream-error',
      )
      assert.equal(texts.join(''), 'Hello from the')
      assert.match(err.details ?? '', /illegal memory access/)
      assert.equal(err.retryable, true)
    })

    test('dropped socket -> stream-error', async () => {
      fake.setFaults({ dropAfter: 2 })
      await rejectsWith(collect(backend.chat(request)), 'stream-error')
    })

    test('hang -> timeout, and the fake sees the request closed', async () => {
      fake.setFaults({ hang: true })
      const before = fake.stats.cancelled
      const b = createBackend({ kind: flavor, baseUrl: fake.url, timeoutMs: 150 })
      const err = await rejectsWith(collect(b.chat(request)), 'timeout')
      assert.equal(err.retryable, true)
      await waitFor(() => fake.stats.cancelled === before + 1)
    })

    test('abort cancels the upstream request', async () => {
      const slow = await startFakeOpenAI({ flavor, models: ['fake-model'], tokensPerSecond: 50 })
      try {
        const b = createBackend({ kind: flavor, baseUrl: slow.url, timeoutMs: 2000 })
        const controller = new AbortController()
        let deltas = 0
        await rejectsWith(
          (async () => {
            for await (const c of b.chat(request, { signal: controller.signal })) {
              if (c.type === 'delta' && ++deltas === 2) controller.abort()
            }
          })(),
          'cancelled',
        )
        await waitFor(() => slow.stats.cancelled === 1 && slow.stats.activeStreams === 0)
        // Breaking out of the loop closes the stream too.
        for await (const c of b.chat(request)) if (c.type === 'delta') break
        await waitFor(() => slow.stats.cancelled === 2 && slow.stats.activeStreams === 0)
      } finally {
        await slow.close()
      }
    })

    test('connection refused -> unavailable; already-aborted signal -> cancelled', async () => {
      const b = createBackend({ kind: flavor, baseUrl: 'http://127.0.0.1:1', timeoutMs: 1000 })
      await rejectsWith(collect(b.chat(request)), 'unavailable')
      const h = await b.health()
      assert.equal(h.ok, false)
      await rejectsWith(collect(backend.chat(request, { signal: AbortSignal.abort() })), 'cancelled')
    })
  })
}
