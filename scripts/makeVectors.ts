// Regenerates test/vectors/events.json: one signed example of every Infernet event kind, made with the
// deterministic test keys. The tests parse (and decrypt) these exact events; nips/*.md cite them.
// Run: node --import tsx scripts/makeVectors.ts [name ...]
// With names, only those vectors are made again and every other one is kept byte for byte (NIP-44 encryption is
// randomized, so a full run changes every encrypted vector and every id that depends on one). `jobResultV1`, the
// result of version 1 (public "output" hash tag) that parties must refuse, is never made again: the code no longer
// writes that version, so the vector is kept as it was published.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { buildAuthEvent } from '../src/protocol/auth.ts'
import { buildCapability } from '../src/protocol/capability.ts'
import { buildHeartbeat } from '../src/protocol/heartbeat.ts'
import { buildJobCancel } from '../src/protocol/jobCancel.ts'
import { buildJobRequest, type JobPayload } from '../src/protocol/jobRequest.ts'
import { buildJobResult } from '../src/protocol/jobResult.ts'
import { buildJobStatus } from '../src/protocol/jobStatus.ts'
import { buildReceiptEvent } from '../src/protocol/receipt.ts'
import { buildResultRejection } from '../src/protocol/resultRejection.ts'
import { buildStreamChunk } from '../src/protocol/streamChunk.ts'
import { anyTokenizer, maxCompletionTokens, maxPromptTokens, maxTokensFor, tokenizerFamily } from '../src/protocol/usageBounds.ts'
import { fixedNow, testSigner } from '../test/helpers/keys.ts'
import { exampleCapability, exampleCapabilityFeatures, exampleHeartbeat, examplePayload, exampleRejection, exampleVoucher } from '../test/vectors/examples.ts'

const node = testSigner('node')
const client = testSigner('client')
const farFuture = 4_000_000_000 - fixedNow // vectors must not expire
const file = new URL('../test/vectors/events.json', import.meta.url)
const existing = (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {}) as Record<string, unknown>
const only = process.argv.slice(2)
/** The vector as it is in the file, unless it is to be made again. */
async function vector<T>(name: string, make: () => Promise<T>): Promise<T> {
  if (only.length > 0 && !only.includes(name) && existing[name] !== undefined) return existing[name] as T
  return make()
}

const job = await vector('jobRequest', () => buildJobRequest(client, { node: node.pubkey, payload: examplePayload as unknown as JobPayload, now: fixedNow, ttl: farFuture }))
const jobResult = await vector('jobResult', () =>
  buildJobResult(node, {
    job: job.id, client: client.pubkey, model: 'llama3.2:3b', usage: { promptTokens: 12, completionTokens: 2 }, amount: 1n,
    output: 'Hello!', finishReason: 'stop', ttftMs: 80, durationMs: 130, includeText: true, now: fixedNow,
  }),
)
const jobResultV1 = existing.jobResultV1 ?? (existing.jobResult as { tags?: string[][] } | undefined)
if (!(jobResultV1 as { tags?: string[][] } | undefined)?.tags?.some((t) => t[0] === 'output')) throw new Error('no result v1 to keep: restore test/vectors/events.json from git')
const vectors = {
  description: 'Signed examples of every Infernet event, made with test/helpers/keys.ts (node = testSigner("node"), client = testSigner("client")).',
  keys: { node: node.pubkey, client: client.pubkey },
  capability: await vector('capability', () => buildCapability(node, exampleCapability, { now: fixedNow, ttl: farFuture })),
  capabilityFeatures: await vector('capabilityFeatures', () => buildCapability(node, exampleCapabilityFeatures, { now: fixedNow, ttl: farFuture })),
  heartbeat: await vector('heartbeat', () => buildHeartbeat(node, { ...exampleHeartbeat, interval: 30 }, { now: fixedNow })),
  jobRequest: job,
  jobStatus: await vector('jobStatus', () => buildJobStatus(node, { job: job.id, client: client.pubkey, status: 'processing', now: fixedNow })),
  streamChunk: await vector('streamChunk', () => buildStreamChunk(node, { job: job.id, client: client.pubkey, seq: 0, text: 'Hello', now: fixedNow })),
  jobResult,
  jobResultV1,
  // A reasoning model's result: 9 completion tokens of which 7 reasoning, 4 of the 12 prompt tokens from the cache.
  jobResultDetails: await vector('jobResultDetails', () =>
    buildJobResult(node, {
      job: job.id, client: client.pubkey, model: 'llama3.2:3b', usage: { promptTokens: 12, completionTokens: 9, reasoningTokens: 7, cachedPromptTokens: 4 }, amount: 1n,
      output: 'Hello!', finishReason: 'stop', ttftMs: 80, durationMs: 130, now: fixedNow,
    }),
  ),
  jobCancel: await vector('jobCancel', () => buildJobCancel(client, { job: job.id, node: node.pubkey, now: fixedNow })),
  receipt: await vector('receipt', () => buildReceiptEvent(client, { node: node.pubkey, job: job.id, voucher: exampleVoucher, now: fixedNow })),
  auth: await vector('auth', () => buildAuthEvent(client, { url: 'http://127.0.0.1:8790/v1/jobs', method: 'POST', body: JSON.stringify(job), now: fixedNow })),
  resultRejection: await vector('resultRejection', () => buildResultRejection(client, { ...exampleRejection, job: job.id, node: node.pubkey, result: jobResult.id, now: fixedNow })),
}
writeFileSync(file, JSON.stringify(vectors, null, 2) + '\n')
console.log(`wrote test/vectors/events.json${only.length ? ` (made again: ${only.join(', ')})` : ''}`)

// test/vectors/usageBounds.json: the usage bounds of nips/client.md for sample texts, prompts and outputs (pure, so
// always made again). Another implementation of the bounds must reproduce every number.
const texts = [
  'Hello!',
  'The network answered this prompt through a node, one token at a time.',
  'antidisestablishmentarianism',
  'getElementById(node.pubkey)',
  'sha256: 334d016f755cd6dc58c53a86e183882f8ec14f52fb05345887c8a5edd42c87b7',
  'aGVsbG8gd29ybGQ=',
  '3.14159 and 2,718,281',
  '你好，世界！ Привет, мир! 👋🏽',
  'def f(x):\n    return x ** 2\n\n',
  '',
]
const models = ['llama3.2:3b', 'qwen2.5:7b', 'mistral:7b', 'demo', 'deepseek-r1:8b', 'tiny-a']
const usageVectors = {
  description: 'Usage bounds (src/protocol/usageBounds.ts, nips/client.md "Usage bounds"): family per model id, maxTokensFor per text, and the prompt and completion bounds of sample jobs.',
  families: models.map((model) => ({ model, family: tokenizerFamily(model).id })),
  pieces: texts.flatMap((text) => models.slice(0, 3).concat('tiny-a').map((model) => ({ model, text, maxTokens: maxTokensFor(text, tokenizerFamily(model)) }))),
  completions: models.flatMap((model) => [
    { model, output: texts[1]!, maxCompletionTokens: maxCompletionTokens({ model, output: texts[1]! }) },
    { model, output: texts[0]!, stop: ['\n\nUser:'], maxCompletionTokens: maxCompletionTokens({ model, output: texts[0]!, stop: ['\n\nUser:'] }) },
  ]),
  // A tool call (its markers: 24 tokens in a known vocabulary, 64 byte by byte) and a JSON answer (16 for the grammar's
  // whitespace and fence, which engines strip).
  structuredCompletions: ['qwen2.5:7b', 'tiny-a'].flatMap((model) => {
    const call = { text: '', reasoning: '', toolCalls: [{ id: 'call_1', type: 'function' as const, function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] }
    return [
      { model, output: call, maxCompletionTokens: maxCompletionTokens({ model, output: call }) },
      { model, output: '{"n":6}', structured: true, maxCompletionTokens: maxCompletionTokens({ model, output: '{"n":6}', structured: true }) },
    ]
  }),
  prompts: models.map((model) => {
    const messages = examplePayload.messages.map((m) => ({ ...m }))
    const params = { ...examplePayload.params, tools: [{ type: 'function', function: { name: 'now', parameters: {} } }] }
    return { model, messages, params, maxPromptTokens: maxPromptTokens({ model, messages, params }) }
  }),
  anyTokenizerIsBytes: texts.every((t) => maxTokensFor(t, anyTokenizer) === new TextEncoder().encode(t).length),
}
writeFileSync(new URL('../test/vectors/usageBounds.json', import.meta.url), JSON.stringify(usageVectors, null, 2) + '\n')
console.log('wrote test/vectors/usageBounds.json')
