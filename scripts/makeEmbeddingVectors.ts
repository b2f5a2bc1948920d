// Regenerates test/vectors/embeddings.json: an embeddings job (payload version 3, nips/embeddings.md), its output
// text (one base64 float32 line per input) and hash, a chunk carrying it, and the signed result with shape
// "embeddings", made with the deterministic test keys. The plain parts are deterministic; the signed events are
// NIP-44 encrypted, so each run makes new ciphertexts. test/protocol/embeddings.test.ts reads them all.
// Run: node --import tsx scripts/makeEmbeddingVectors.ts
import { writeFileSync } from 'node:fs'
import { encodeEmbeddings, type JobPayloadV3 } from '../src/protocol/embeddingJob.ts'
import { buildJobRequest } from '../src/protocol/jobRequest.ts'
import { buildJobResult, outputHash } from '../src/protocol/jobResult.ts'
import { amountDue } from '../src/protocol/price.ts'
import { buildStreamChunk } from '../src/protocol/streamChunk.ts'
import { fixedNow, testSigner } from '../test/helpers/keys.ts'

const node = testSigner('node')
const client = testSigner('client')
const farFuture = 4_000_000_000 - fixedNow

const payloadV3: JobPayloadV3 = {
  v: 3,
  model: 'nomic-embed-text',
  input: ['The cat sat on the mat.', 'Le chat est assis.'],
  bid: { input: '20000', output: '0' },
  transport: 'relay',
}
// Exactly representable in float32, so the vectors read back as written.
const vectors = [
  [0.5, -0.25, 0.125, 0.8125],
  [-0.5, 0.75, 0.0625, -0.4375],
]
const outputText = encodeEmbeddings(vectors)
const usage = { promptTokens: 14, completionTokens: 0 }
const price = { input: '20000', output: '0' }
const job = await buildJobRequest(client, { node: node.pubkey, payload: payloadV3, now: fixedNow, ttl: farFuture })

const out = {
  description: 'Job payload v3 (embeddings), its output text and the result of an embeddings job, made with test/helpers/keys.ts (node = testSigner("node"), client = testSigner("client")).',
  keys: { node: node.pubkey, client: client.pubkey },
  payloadV3,
  jobRequestV3: job,
  vectors,
  outputText,
  outputHash: outputHash(outputText),
  price,
  usage,
  amount: amountDue(usage, price).toString(),
  streamChunk: await buildStreamChunk(node, { job: job.id, client: client.pubkey, seq: 0, text: outputText, now: fixedNow }),
  jobResultEmbeddings: await buildJobResult(node, {
    job: job.id, client: client.pubkey, model: payloadV3.model, usage, amount: amountDue(usage, price),
    output: outputText, embeddings: true, finishReason: 'stop', ttftMs: 12, durationMs: 15, includeText: true, now: fixedNow,
  }),
}
writeFileSync(new URL('../test/vectors/embeddings.json', import.meta.url), JSON.stringify(out, null, 2) + '\n')
console.log('wrote test/vectors/embeddings.json')
