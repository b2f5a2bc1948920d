// Regenerates test/vectors/structured.json: the shapes of job payload version 2 (nips/job-request.md), its
// structured stream deltas (nips/stream.md) and its result (nips/job-result.md), made with the deterministic test
// keys. The plain parts (deltas, the assembled output, its canonical form and hash) are deterministic; the signed
// events are NIP-44 encrypted, so each run makes new ciphertexts. test/protocol/structured.test.ts reads them all.
// Run: node --import tsx scripts/makeStructuredVectors.ts
import { writeFileSync } from 'node:fs'
import { buildJobRequest, type JobPayload } from '../src/protocol/jobRequest.ts'
import { buildJobResult } from '../src/protocol/jobResult.ts'
import { buildStreamChunk } from '../src/protocol/streamChunk.ts'
import { assembleOutput, canonicalOutput, encodeDelta, structuredOutputHash, type StructuredDelta } from '../src/protocol/streamDelta.ts'
import { fixedNow, testSigner } from '../test/helpers/keys.ts'

const node = testSigner('node')
const client = testSigner('client')
const farFuture = 4_000_000_000 - fixedNow

const tool = {
  type: 'function',
  function: { name: 'get_weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
}
// A 1x1 PNG.
const pixel = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='
const payloadV2 = {
  v: 2,
  model: 'llama3.2:3b',
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'What is the weather where this photo was taken?' }, { type: 'image_url', image_url: { url: pixel } }] },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: '{"sky":"sunny","celsius":21}' },
  ],
  params: { tools: [tool], tool_choice: 'auto', parallel_tool_calls: false, max_completion_tokens: 256, response_format: { type: 'text' } },
  bid: { input: '1000', output: '2000' },
  transport: 'relay',
}
const deltas: StructuredDelta[] = [
  { reasoning: 'The user wants the weather.' },
  { tool_calls: [{ index: 0, id: 'call_2', name: 'get_weather', arguments: '' }] },
  { tool_calls: [{ index: 0, arguments: '{"city":' }] },
  { tool_calls: [{ index: 0, arguments: '"Paris"}' }] },
]
const output = assembleOutput(deltas)
const job = await buildJobRequest(client, { node: node.pubkey, payload: payloadV2 as unknown as JobPayload, now: fixedNow, ttl: farFuture })
// A payload of a version no party speaks yet: encrypted by hand, since buildJobRequest writes only known versions.
const v4Event = await client.signEvent({ kind: job.kind, created_at: job.created_at, tags: job.tags, content: await client.nip44.encrypt(node.pubkey, JSON.stringify({ ...payloadV2, v: 4 })) })

const vectors = {
  description: 'Job payload v2, structured stream deltas and the result of a v2 job, made with test/helpers/keys.ts (node = testSigner("node"), client = testSigner("client")).',
  keys: { node: node.pubkey, client: client.pubkey },
  payloadV2,
  jobRequestV2: job,
  jobRequestV4: v4Event,
  deltas,
  chunkPlaintexts: deltas.map(encodeDelta),
  output,
  canonicalOutput: canonicalOutput(output),
  outputHash: structuredOutputHash(output),
  streamChunkV2: await buildStreamChunk(node, { job: job.id, client: client.pubkey, seq: 1, text: encodeDelta(deltas[1]!), now: fixedNow }),
  jobResultV2: await buildJobResult(node, {
    job: job.id, client: client.pubkey, model: 'llama3.2:3b', usage: { promptTokens: 120, completionTokens: 19 }, amount: 1n,
    output, finishReason: 'tool_calls', ttftMs: 80, durationMs: 130, includeText: true, now: fixedNow,
  }),
}
writeFileSync(new URL('../test/vectors/structured.json', import.meta.url), JSON.stringify(vectors, null, 2) + '\n')
console.log('wrote test/vectors/structured.json')
