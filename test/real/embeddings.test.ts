// Embeddings on the real engine, through relay, node and gateway: llama-server started with --embeddings --pooling
// mean on the tiny model, a node that declares the feature (the server does not say it), and the `openai` package.
// The vectors that come back equal what llama-server answers directly for the same input (float32 both ways), one
// per input in order, of the model's embedding length (64 for tiny-a), as floats and as the package's default base64.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import OpenAI from 'openai'
import { startCoordinator, type TestCoordinator } from '../helpers/coordinator.ts'
import { engine, engineMissingHint, startLlamaServer, type LlamaServer } from '../helpers/engine/llamaServer.ts'
import { tinyModels } from '../helpers/engine/tinyModel.ts'
import { waitFor } from '../helpers/network.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const skip = engine() ? false : engineMissingHint

function assertClose(actual: readonly number[], expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`)
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i]! - expected[i]!) <= 1e-6, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`)
}

describe('real engine: embeddings through the gateway', { skip }, () => {
  let relay: TestRelay
  let llama: LlamaServer
  let node: TestNode
  let coord: TestCoordinator

  before(async () => {
    relay = await startRelay()
    llama = await startLlamaServer({ model: tinyModels.a, alias: 'tiny-a', embeddings: { pooling: 'mean' } })
    node = await startNode({ relays: [relay.url], backend: { kind: 'llamacpp', baseUrl: llama.url }, config: { features: ['embeddings'] } })
    coord = await startCoordinator({ relays: [relay.url] })
    await waitFor(() => coord.coordinator.market.models(Math.floor(Date.now() / 1000)).find((m) => m.id === 'tiny-a')?.nodes === 1, 'the node in the market')
  })
  after(async () => {
    await coord?.close()
    await node?.stop()
    await llama?.stop()
    await relay?.close()
  })

  it('the vectors equal llama-server answering directly, 64 long, floats and base64', async () => {
    const input = ['hello world', 'the quick brown fox', 'b']
    const directRes = await fetch(`${llama.url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'tiny-a', input }) })
    assert.equal(directRes.status, 200)
    const direct = (await directRes.json()) as { data: { index: number; embedding: number[] }[]; usage: { prompt_tokens: number } }
    const expected = [...direct.data].sort((a, b) => a.index - b.index).map((d) => d.embedding)
    const openai = new OpenAI({ apiKey: 'unused', baseURL: `${coord.url}/v1`, maxRetries: 0 })
    const floats = await openai.embeddings.create({ model: 'tiny-a', input, encoding_format: 'float' })
    const base64 = await openai.embeddings.create({ model: 'tiny-a', input })
    for (const res of [floats, base64]) {
      assert.equal(res.data.length, input.length)
      res.data.forEach((d, i) => {
        assert.equal(d.index, i)
        assert.equal(d.embedding.length, 64)
        assertClose(d.embedding, expected[i]!, `input ${i}`)
      })
      assert.equal(res.usage.prompt_tokens, direct.usage.prompt_tokens)
    }
  })

  it('llama-server cannot shorten its vectors: dimensions is a 400, not a wrong answer', async () => {
    const openai = new OpenAI({ apiKey: 'unused', baseURL: `${coord.url}/v1`, maxRetries: 0 })
    await assert.rejects(openai.embeddings.create({ model: 'tiny-a', input: 'x', dimensions: 8 }), (err: unknown) => err instanceof OpenAI.BadRequestError && /does not shorten/.test(err.message))
  })
})
