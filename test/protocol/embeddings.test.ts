// Embeddings jobs (nips/embeddings.md) against test/vectors/embeddings.json: payload v3 decrypts as written, the
// output text is the base64 float32 lines of the vectors and its hash is the result's, the result says
// shape "embeddings" and verifies; an altered output, a result read as a chat's, limits and the request checks.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { verifyResult } from '../../client/verifyResult.ts'
import {
  checkEmbeddingRequest,
  decodeEmbeddings,
  embeddingSlices,
  encodeEmbeddings,
  maxEmbeddingInputBytes,
  maxEmbeddingInputs,
  maxEmbeddingPromptTokens,
  maxEmbeddingValues,
} from '../../src/protocol/embeddingJob.ts'
import { decryptJobRequest, jobPayload } from '../../src/protocol/jobRequest.ts'
import { decryptJobResult, outputHash } from '../../src/protocol/jobResult.ts'
import * as kinds from '../../src/protocol/kinds.ts'
import { maxEventBytes } from '../../src/protocol/limits.ts'
import { buildStreamChunk, decryptDelta } from '../../src/protocol/streamChunk.ts'
import { testSigner } from '../helpers/keys.ts'

const vectors = JSON.parse(readFileSync(new URL('../vectors/embeddings.json', import.meta.url), 'utf8'))
const node = testSigner('node')
const client = testSigner('client')

describe('embeddings job vectors', () => {
  it('payload v3 decrypts as written', async () => {
    const r = await decryptJobRequest(vectors.jobRequestV3, node)
    assert.ok(r.ok, r.ok ? '' : r.reason)
    assert.deepEqual(r.data, vectors.payloadV3)
  })
  it('the output text is the vectors as base64 float32 lines; the hash and chunk carry it', () => {
    assert.equal(encodeEmbeddings(vectors.vectors), vectors.outputText)
    assert.equal(outputHash(vectors.outputText), vectors.outputHash)
    const d = decodeEmbeddings(vectors.outputText, { count: 2 })
    assert.ok(d.ok)
    assert.deepEqual(d.vectors, vectors.vectors)
    assert.equal(decryptDelta(client.conversationKey(node.pubkey), vectors.streamChunk.content), vectors.outputText)
  })
  it('the result says shape "embeddings", carries the hash and verifies', async () => {
    const content = await decryptJobResult(vectors.jobResultEmbeddings, client)
    assert.ok(content.ok)
    assert.deepEqual(content.data, { v: 2, output: vectors.outputHash, shape: 'embeddings', text: vectors.outputText })
    const base = { event: vectors.jobResultEmbeddings, content, node: node.pubkey, job: vectors.jobRequestV3.id, client: client.pubkey, model: 'nomic-embed-text', price: vectors.price, messages: [], now: 1_764_000_000 }
    const ok = verifyResult({ ...base, text: vectors.outputText, embeddings: { input: vectors.payloadV3.input } })
    assert.ok(ok.ok, ok.ok ? '' : ok.reason)
    assert.equal(ok.result.amount, BigInt(vectors.amount))
    // One float changed after signing: the hash no longer matches.
    const altered = encodeEmbeddings([[0.5, -0.25, 0.125, 0.8126], vectors.vectors[1]])
    const bad = verifyResult({ ...base, text: altered, embeddings: { input: vectors.payloadV3.input } })
    assert.ok(!bad.ok && bad.code === 'output-mismatch')
    // Read as a chat's result (or the other way round), it is refused, never misread.
    const asChat = verifyResult({ ...base, text: vectors.outputText })
    assert.ok(!asChat.ok && asChat.code === 'unreadable' && /embeddings job, this job was a chat/.test(asChat.reason))
    // Another dimension count than asked.
    const dims = verifyResult({ ...base, text: vectors.outputText, embeddings: { input: vectors.payloadV3.input, dimensions: 8 } })
    assert.ok(!dims.ok && /4 dimensions, the job asked for 8/.test(dims.reason))
  })
})

describe('embeddings limits', () => {
  it('16 x 4096 floats fit; each slice fits one chunk event; more than maxEmbeddingValues is refused by name', async () => {
    const v = Array.from({ length: 4096 }, (_, i) => Math.fround(Math.sin(i)))
    const text = encodeEmbeddings(Array(16).fill(v))
    assert.ok(decodeEmbeddings(text, { count: 16 }).ok)
    const slices = embeddingSlices(text)
    assert.equal(slices.join(''), text)
    const chunk = await buildStreamChunk(node, { job: 'a'.repeat(64), client: client.pubkey, seq: 0, text: slices[0]! })
    assert.ok(JSON.stringify(chunk).length <= maxEventBytes[kinds.StreamChunk]!, `${JSON.stringify(chunk).length} bytes`)
    const over = encodeEmbeddings(Array(maxEmbeddingValues / 4096 + 1).fill(v))
    const r = decodeEmbeddings(over, { count: maxEmbeddingValues / 4096 + 1 })
    assert.ok(!r.ok && /maxEmbeddingValues/.test(r.reason))
  })
  it('the request checks name the field', () => {
    const param = (x: Parameters<typeof checkEmbeddingRequest>[0]) => {
      const r = checkEmbeddingRequest(x)
      return r.ok ? 'ok' : r.param
    }
    assert.equal(param({ input: 'x' }), 'ok')
    assert.equal(param({ input: ['a', 'b'], dimensions: 64 }), 'ok')
    for (const input of ['', [], [''], [[1, 2]], [3], 5, Array(maxEmbeddingInputs + 1).fill('x'), 'x'.repeat(maxEmbeddingInputBytes + 1)]) assert.equal(param({ input }), 'input', JSON.stringify(input).slice(0, 40))
    for (const dimensions of [0, 1.5, -3, 'x']) assert.equal(param({ input: 'x', dimensions }), 'dimensions')
  })
  it('payload v3 is strict: chat fields are not read into it', () => {
    assert.equal(jobPayload.safeParse({ ...vectors.payloadV3, messages: [] }).success, false)
    assert.equal(jobPayload.safeParse({ ...vectors.payloadV3, input: [] }).success, false)
  })
  it('the prompt bound is per text, with the per-input allowance', () => {
    assert.equal(maxEmbeddingPromptTokens({ model: 'any-model', input: ['abc', 'de'] }), 3 + 4 + 2 + 4)
  })
})
