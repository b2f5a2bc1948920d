// OpenAI's `n` through the gateway (src/coordinator/gateway/choices.ts): n choices are n jobs, seeds shifted by the
// choice index, answered in choice order; streamed, each choice's chunks carry its index and its own finish, and the
// usage chunk counts the prompt once and the completions summed, as OpenAI does. More than 8 is a 400 naming `n`.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import OpenAI from 'openai'
import { startCoordinator, type TestCoordinator } from '../helpers/coordinator.ts'
import { startFakeOllama, type FakeOllamaServer } from '../helpers/fakeBackends/ollama.ts'
import { waitFor } from '../helpers/network.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

describe('gateway: n choices', () => {
  let relay: TestRelay
  let ollama: FakeOllamaServer
  let node: TestNode
  let coord: TestCoordinator
  const openai = () => new OpenAI({ apiKey: 'unused', baseURL: `${coord.url}/v1`, maxRetries: 0 })
  const seedsSince = (from: number) =>
    ollama.received
      .slice(from)
      .filter((r) => r.path === '/api/chat')
      .map((r) => (r.body as { options?: { seed?: number } }).options?.seed)
      .sort()

  before(async () => {
    relay = await startRelay()
    // The reply names the seed, so each choice's text says which job it came from.
    ollama = await startFakeOllama({ models: ['llama3'], reply: (body) => `seed ${(body.options as { seed?: number } | undefined)?.seed}` })
    node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: ollama.url }, maxConcurrency: 4 })
    coord = await startCoordinator({ relays: [relay.url] })
    await waitFor(() => coord.coordinator.market.hasModel('llama3', Math.floor(Date.now() / 1000)), 'the node in the market')
  })
  after(async () => {
    await coord?.close()
    await node?.stop()
    await ollama?.close()
    await relay?.close()
  })

  it('non-streaming: three choices, in order, from three jobs with seeds 5, 6, 7', async () => {
    const from = ollama.received.length
    const res = await openai().chat.completions.create({ model: 'llama3', messages: [{ role: 'user', content: 'Pick one.' }], n: 3, seed: 5 })
    assert.deepEqual(res.choices.map((c) => [c.index, c.message.content]), [[0, 'seed 5'], [1, 'seed 6'], [2, 'seed 7']])
    assert.deepEqual(seedsSince(from), [5, 6, 7])
    const one = await openai().chat.completions.create({ model: 'llama3', messages: [{ role: 'user', content: 'Pick one.' }], seed: 5 })
    assert.equal(res.usage!.prompt_tokens, one.usage!.prompt_tokens, 'the prompt counted once')
    assert.equal(res.usage!.completion_tokens, 3 * one.usage!.completion_tokens)
  })

  it('streaming: every chunk names its choice, each choice finishes, one usage chunk, [DONE]', async () => {
    const stream = await openai().chat.completions.create({ model: 'llama3', messages: [{ role: 'user', content: 'Pick one.' }], n: 2, seed: 1, stream: true, stream_options: { include_usage: true } })
    const text = ['', '']
    const finished: (string | null)[] = [null, null]
    let usage: OpenAI.CompletionUsage | undefined
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage
      for (const c of chunk.choices) {
        text[c.index] += c.delta.content ?? ''
        if (c.finish_reason) finished[c.index] = c.finish_reason
      }
    }
    assert.deepEqual(text, ['seed 1', 'seed 2'])
    assert.deepEqual(finished, ['stop', 'stop'])
    assert.ok(usage && usage.completion_tokens > 0)
  })

  it('n above 8 is a 400 naming n; no job is sent', async () => {
    const from = ollama.received.length
    const err = (await openai().chat.completions.create({ model: 'llama3', messages: [{ role: 'user', content: 'x' }], n: 9 }).catch((e: unknown) => e)) as { status?: number; param?: string }
    assert.deepEqual([err.status, err.param], [400, 'n'])
    assert.equal(seedsSince(from).length, 0)
  })
})
