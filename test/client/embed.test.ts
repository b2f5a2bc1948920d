// The SDK's embed(): vectors from real node daemons (fake Ollama engine) over the direct channel and through relay
// chunk events, 16 inputs x 4096 floats exactly as the engine made them; nodes that lie about an embeddings result
// (hash, usage, amount, one vector short, signature) are refused, not paid and excluded; the typed errors.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { InvalidEmbeddingRequestError, NoNodeForModelError, ResultVerificationError, UnsupportedFeatureError } from '../../client/errors.ts'
import { amountDue } from '../../src/protocol/price.ts'
import type { Price } from '../../src/protocol/schema.ts'
import { createTestClient, waitForLive } from '../helpers/client.ts'
import { fakeEmbedding } from '../helpers/fakeBackends/fakeEmbedding.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import { startNode } from '../helpers/node.ts'
import { startRelay } from '../helpers/relay.ts'
import { startLyingNode, type Lie } from './lyingNode.ts'

const onePerToken: Price = { input: '1000000', output: '1000000' }

test('16 inputs x 4096 floats come back exact, direct and through relays; typed errors', async (t) => {
  const relay = await startRelay()
  t.after(() => relay.close())
  const ollama = await startFakeOllama({ models: ['embed-big', 'llama3'], capabilities: { 'embed-big': ['embedding'], llama3: ['completion'] }, embeddingLength: 4096 })
  t.after(() => ollama.close())
  const direct = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: ollama.url } })
  t.after(() => direct.stop())
  const relayed = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: ollama.url }, config: { announceStream: false } })
  t.after(() => relayed.stop())
  const client = createTestClient({ relays: [relay.url] })
  t.after(() => client.close())
  await waitForLive(client, [direct.pubkey, relayed.pubkey])

  const input = Array.from({ length: 16 }, (_, i) => `passage ${i}: embeddings for retrieval`)
  for (const node of [direct, relayed]) {
    const res = await client.embed({ model: 'embed-big', input, routing: { pin: node.pubkey } })
    assert.equal(res.node, node.pubkey)
    assert.equal(res.jobs.at(-1)?.transport, node === direct ? 'direct' : 'relay')
    assert.equal(res.data.length, 16)
    res.data.forEach((d, i) => {
      assert.equal(d.index, i)
      assert.deepEqual(d.embedding, fakeEmbedding('embed-big:latest', input[i]!, 4096))
    })
    assert.ok(res.usage.promptTokens > 0)
  }

  await assert.rejects(client.embed({ model: 'no-such-model', input: 'x' }), NoNodeForModelError)
  await assert.rejects(client.embed({ model: 'llama3', input: 'x' }), (err: unknown) => err instanceof UnsupportedFeatureError && err.features.includes('embeddings'))
  await assert.rejects(client.embed({ model: 'embed-big', input: [] }), (err: unknown) => err instanceof InvalidEmbeddingRequestError && err.param === 'input')
  await assert.rejects(client.embed({ model: 'embed-big', input: 'x', dimensions: -1 }), (err: unknown) => err instanceof InvalidEmbeddingRequestError && err.param === 'dimensions')
})

test('a forged or altered embeddings result is refused, not paid, and the node excluded; the honest one is paid', async (t) => {
  const relay = await startRelay()
  t.after(() => relay.close())
  const lies: Lie[] = ['hash', 'usage', 'prompt-25x', 'amount', 'short', 'signature']
  const liars = await Promise.all([...lies, 'none' as const].map((lie) => startLyingNode({ relays: [relay.url], model: 'embed-small', price: onePerToken, lie, embeddings: true })))
  t.after(() => Promise.all(liars.map((l) => l.close())))
  const client = createTestClient({ relays: [relay.url] })
  t.after(() => client.close())
  await waitForLive(client, liars.map((l) => l.pubkey))
  const input = ['alpha', 'beta gamma']
  const expected: Record<string, RegExp> = {
    hash: /output hash does not match the streamed embeddings/,
    usage: /completion tokens for an embeddings job/,
    'prompt-25x': /prompt tokens for 2 texts/,
    amount: /amount .* differs/,
    short: /1 vectors for 2 inputs/,
    signature: /signature does not verify/,
  }
  for (const [i, lie] of lies.entries()) {
    await assert.rejects(client.embed({ model: 'embed-small', input, routing: { pin: liars[i]!.pubkey } }), (err: unknown) => {
      assert.ok(err instanceof ResultVerificationError, `${lie}: ${String(err)}`)
      assert.match(err.message, expected[lie]!, lie)
      return true
    })
    assert.ok(client.badNodes.has(liars[i]!.pubkey), lie)
  }
  assert.equal(client.spent, 0n)
  const honest = await client.embed({ model: 'embed-small', input, routing: { pin: liars[6]!.pubkey } })
  honest.data.forEach((d, i) => assert.deepEqual(d.embedding, fakeEmbedding('embed-small', input[i]!, 8)))
  assert.equal(honest.cost, amountDue({ promptTokens: 2, completionTokens: 0 }, onePerToken))
})
