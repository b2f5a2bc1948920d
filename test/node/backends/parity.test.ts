// "Switching backend changes nothing a client sees": the same request through every adapter, each against
// its own fake speaking its own wire format, gives the same text and the same final chunk (how the text is cut
// into deltas follows the network reads, which no client relies on).
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { createBackend } from '../../../node/backends/index.ts'
import type { BackendKind, ChatChunk, ChatRequest } from '../../../node/backends/types.ts'
import { startFakeOllama } from '../../helpers/fakeBackends/ollama.ts'
import { startFakeOpenAI } from '../../helpers/fakeBackends/openai.ts'
import type { FakeBackendServer } from '../../helpers/fakeBackends/pacer.ts'
import { collect } from './collect.ts'

test('same request through every backend yields the same text and final chunk', async () => {
  const reply = (body: Record<string, unknown>) => `You said ${(body.messages as { content: string }[]).length} messages. Café ünïcode ✓ and "quotes"\nnew line.`
  const fakes: [BackendKind, FakeBackendServer][] = [
    ['ollama', await startFakeOllama({ models: ['m'], reply })],
    ...(await Promise.all((['vllm', 'sglang', 'max', 'llamacpp'] as const).map(async (flavor) => [flavor, await startFakeOpenAI({ flavor, models: ['m'], reply })] as [BackendKind, FakeBackendServer]))),
  ]
  after(() => Promise.all(fakes.map(([, f]) => f.close())))
  const request: ChatRequest = { model: 'm', messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: 'hi there' }], params: { max_tokens: 6 } }
  const results: { text: string; done: ChatChunk }[] = []
  for (const [kind, fake] of fakes) {
    const { text, done } = await collect(createBackend({ kind, baseUrl: fake.url }).chat(request))
    results.push({ text, done })
  }
  for (const r of results.slice(1)) assert.deepEqual(r, results[0])
  assert.equal(results[0]?.text, 'You said 2 messages. Café ünïcode')
  assert.deepEqual(results[0]?.done, { type: 'done', usage: { promptTokens: 13, completionTokens: 6 }, finishReason: 'length' })
})

test('64 concurrent streams through one adapter all complete intact', async () => {
  const reply = Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ')
  const fake = await startFakeOpenAI({ flavor: 'vllm', models: ['m'], reply, tokensPerSecond: 2000 })
  after(() => fake.close())
  const backend = createBackend({ kind: 'vllm', baseUrl: fake.url })
  const results = await Promise.all(Array.from({ length: 64 }, () => collect(backend.chat({ model: 'm', messages: [{ role: 'user', content: 'go' }] }))))
  for (const r of results) {
    assert.equal(r.text, reply)
    assert.equal(r.done.usage.completionTokens, 200)
  }
  assert.equal(fake.stats.chats, 64)
  assert.equal(fake.stats.activeStreams, 0)
  assert.equal(fake.stats.cancelled, 0)
})
