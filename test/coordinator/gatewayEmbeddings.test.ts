// POST /v1/embeddings through the whole network: the official `openai` package against a real coordinator's
// gateway, a real relay and real node daemons whose fake engines speak Ollama's /api/embed and vLLM's
// /v1/embeddings (a pooling runner, INFERNET_FEATURES=embeddings). The vectors that come back are exactly the
// engines' (the fakes' deterministic vectors), as floats and as the base64 the package asks for by default; bad
// input is a 400 naming the parameter; an unknown model a 404; a chat-only model a 400 unsupported_feature, and an
// embedding-only model refuses chat the same way.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import OpenAI, { BadRequestError, NotFoundError } from 'openai'
import { maxEmbeddingInputBytes, maxEmbeddingInputs } from '../../src/protocol/embeddingJob.ts'
import { startCoordinator, type TestCoordinator } from '../helpers/coordinator.ts'
import { fakeEmbedding } from '../helpers/fakeBackends/fakeEmbedding.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import { startFakeOpenAI } from '../helpers/fakeBackends/openai.ts'
import type { FakeBackendServer } from '../helpers/fakeBackends/pacer.ts'
import { waitFor } from '../helpers/network.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

describe('gateway: embeddings', () => {
  let relay: TestRelay
  let vllm: FakeBackendServer
  let ollama: FakeBackendServer
  const nodes: TestNode[] = []
  let coord: TestCoordinator
  const openai = () => new OpenAI({ apiKey: 'sk-test-embed-00', baseURL: `${coord.url}/v1`, maxRetries: 0 })

  before(async () => {
    relay = await startRelay()
    vllm = await startFakeOpenAI({ flavor: 'vllm', models: [], embeddingModels: ['bge-small'], embeddingLength: 32 })
    ollama = await startFakeOllama({ models: ['nomic-embed-text', 'llama3'], capabilities: { 'nomic-embed-text': ['embedding'], llama3: ['completion'] }, embeddingLength: 24 })
    // vLLM cannot tell the node it runs a pooling model: the operator says so, and the node announces embeddings alone.
    nodes.push(await startNode({ relays: [relay.url], backend: { kind: 'vllm', baseUrl: vllm.url }, config: { features: ['embeddings'] } }))
    nodes.push(await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: ollama.url } }))
    coord = await startCoordinator({ relays: [relay.url], apiKeys: ['sk-test-embed-00'] })
    const now = () => Math.floor(Date.now() / 1000)
    await waitFor(() => ['bge-small', 'nomic-embed-text', 'llama3'].every((m) => coord.coordinator.market.hasModel(m, now())), 'both nodes in the market')
  })
  after(async () => {
    await coord?.close()
    for (const n of nodes) await n.stop()
    await vllm?.close()
    await ollama?.close()
    await relay?.close()
  })

  it('Ollama: float vectors, in input order, in OpenAI shape', async () => {
    const input = ['The cat sat.', 'Le chat est assis.', 'ネコ']
    const res = await openai().embeddings.create({ model: 'nomic-embed-text', input, encoding_format: 'float' })
    assert.equal(res.object, 'list')
    assert.equal(res.model, 'nomic-embed-text')
    assert.deepEqual(
      res.data.map((d) => ({ object: d.object, index: d.index })),
      input.map((_, index) => ({ object: 'embedding', index })),
    )
    // The node sends the engine's own id (`:latest`), which the fake derives its vectors from.
    res.data.forEach((d, i) => assert.deepEqual(d.embedding, fakeEmbedding('nomic-embed-text:latest', input[i]!, 24)))
    assert.ok(res.usage.prompt_tokens > 0)
    assert.equal(res.usage.total_tokens, res.usage.prompt_tokens)
  })

  it('vLLM: the openai package default (base64) decodes to the engine vectors; raw base64 is float32 LE', async () => {
    const res = await openai().embeddings.create({ model: 'bge-small', input: 'hello world' })
    assert.deepEqual(res.data[0]!.embedding, fakeEmbedding('bge-small', 'hello world', 32))
    const raw = await fetch(`${coord.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test-embed-00', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'bge-small', input: ['a', 'b'], encoding_format: 'base64' }),
    })
    assert.equal(raw.status, 200)
    const body = (await raw.json()) as { data: { embedding: string; index: number }[] }
    for (const [i, text] of ['a', 'b'].entries()) {
      assert.equal(typeof body.data[i]!.embedding, 'string')
      assert.equal(body.data[i]!.embedding, Buffer.from(new Float32Array(fakeEmbedding('bge-small', text, 32)).buffer).toString('base64'))
    }
  })

  it('bad input is a 400 naming the parameter', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ input: '' }, 'input', /empty string/],
      [{ input: [] }, 'input', /empty/],
      [{ input: [1, 2, 3] }, 'input', /token ids/],
      [{ input: Array(maxEmbeddingInputs + 1).fill('x') }, 'input', new RegExp(`at most ${maxEmbeddingInputs}`)],
      [{ input: 'x'.repeat(maxEmbeddingInputBytes + 1) }, 'input', new RegExp(`at most ${maxEmbeddingInputBytes} bytes`)],
      [{ input: 'x', encoding_format: 'int8' }, 'encoding_format', /float" or "base64/],
      [{ input: 'x', dimensions: 0 }, 'dimensions', /integer/],
      [{}, 'input', /required/],
    ]
    for (const [fields, param, message] of cases) {
      await assert.rejects(
        openai().embeddings.create({ model: 'bge-small', ...fields } as never),
        (err: unknown) => err instanceof BadRequestError && err.param === param && message.test(err.message),
        `${JSON.stringify(fields).slice(0, 60)} -> 400 ${param}`,
      )
    }
  })

  it('an unknown model is a 404; a chat-only model a 400 unsupported_feature; an embedding model refuses chat', async () => {
    await assert.rejects(openai().embeddings.create({ model: 'no-such-model', input: 'x' }), (err: unknown) => err instanceof NotFoundError && err.code === 'model_not_found')
    await assert.rejects(
      openai().embeddings.create({ model: 'llama3', input: 'x' }),
      (err: unknown) => err instanceof BadRequestError && err.code === 'unsupported_feature' && /embeddings/.test(err.message),
    )
    await assert.rejects(
      openai().chat.completions.create({ model: 'bge-small', messages: [{ role: 'user', content: 'hi' }] }),
      (err: unknown) => err instanceof BadRequestError && err.code === 'unsupported_feature' && /chat/.test(err.message),
    )
  })

  it('the engine cannot shorten: dimensions is a 400 from the node, naming the engine refusal', async () => {
    await assert.rejects(openai().embeddings.create({ model: 'bge-small', input: 'x', dimensions: 8, encoding_format: 'float' }), (err: unknown) => err instanceof BadRequestError && /matryoshka/.test(err.message))
  })
})
