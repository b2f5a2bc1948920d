// Regenerates test/vectors/events.json: one signed example of every Infernet event kind, made with the
// deterministic test keys. The tests parse (and decrypt) these exact events; nips/*.md cite them.
// Run: node --import tsx scripts/makeVectors.ts
import { writeFileSync } from 'node:fs'
import { buildAuthEvent } from '../src/protocol/auth.ts'
import { buildCapability } from '../src/protocol/capability.ts'
import { buildHeartbeat } from '../src/protocol/heartbeat.ts'
import { buildJobCancel } from '../src/protocol/jobCancel.ts'
import { buildJobRequest, type JobPayload } from '../src/protocol/jobRequest.ts'
import { buildJobResult } from '../src/protocol/jobResult.ts'
import { buildJobStatus } from '../src/protocol/jobStatus.ts'
import { buildReceiptEvent } from '../src/protocol/receipt.ts'
import { buildStreamChunk } from '../src/protocol/streamChunk.ts'
import { fixedNow, testSigner } from '../test/helpers/keys.ts'
import { exampleCapability, exampleHeartbeat, examplePayload, exampleVoucher } from '../test/vectors/examples.ts'

const node = testSigner('node')
const client = testSigner('client')
const farFuture = 4_000_000_000 - fixedNow // vectors must not expire
const job = await buildJobRequest(client, { node: node.pubkey, payload: examplePayload as unknown as JobPayload, now: fixedNow, ttl: farFuture })
const vectors = {
  description: 'Signed examples of every Infernet event, made with test/helpers/keys.ts (node = testSigner("node"), client = testSigner("client")).',
  keys: { node: node.pubkey, client: client.pubkey },
  capability: await buildCapability(node, exampleCapability, { now: fixedNow, ttl: farFuture }),
  heartbeat: await buildHeartbeat(node, { ...exampleHeartbeat, interval: 30 }, { now: fixedNow }),
  jobRequest: job,
  jobStatus: await buildJobStatus(node, { job: job.id, client: client.pubkey, status: 'processing', now: fixedNow }),
  streamChunk: await buildStreamChunk(node, { job: job.id, client: client.pubkey, seq: 0, text: 'Hello', now: fixedNow }),
  jobResult: await buildJobResult(node, {
    job: job.id, client: client.pubkey, model: 'llama3.2:3b', usage: { promptTokens: 12, completionTokens: 2 }, amount: 1n,
    output: 'Hello!', finishReason: 'stop', ttftMs: 80, durationMs: 130, includeText: true, now: fixedNow,
  }),
  jobCancel: await buildJobCancel(client, { job: job.id, node: node.pubkey, now: fixedNow }),
  receipt: await buildReceiptEvent(client, { node: node.pubkey, job: job.id, voucher: exampleVoucher, now: fixedNow }),
  auth: await buildAuthEvent(client, { url: 'http://127.0.0.1:8790/v1/jobs', method: 'POST', body: JSON.stringify(job), now: fixedNow }),
}
writeFileSync(new URL('../test/vectors/events.json', import.meta.url), JSON.stringify(vectors, null, 2) + '\n')
console.log('wrote test/vectors/events.json')
