// How well audits catch a node that serves something else than the weights it announces (nips/audit-verdict.md),
// on the real engine (llama.cpp's llama-server, built by `npm run engine`) and the project's tiny models. Six nodes
// announce tiny-a with tiny-a's digest: honest (tiny-a), substituted (tiny-b's weights), 4-bit and 8-bit copies of
// tiny-a made by the same build's llama-quantize (Q4_0, Q8_0), tiny-a stored as f16, and hot (tiny-a sampled at
// temperature 1 with its own seed whatever the job asks). The auditor's reference is its own llama-server on tiny-a.
// Each audit is one job (its own key, seed and prompt), scored at the default threshold with each method of
// BENCH_AUDIT_METHODS (default both: greedy-logprob, the one `infernet audit` picks for a llama.cpp node, and
// greedy-prefix). Prints, per method and cheat, the share of BENCH_AUDIT_TRIALS (100) trials caught within 1, 3 and 5
// audits, the honest node's false-positive rate over BENCH_AUDIT_HONEST (200) audits (the baseline of the same run),
// and the audit cost as a share of traffic at the audit rate the figures assume.
import { createHash, randomInt } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { auditPrompts } from '../../client/audit/prompts.ts'
import { runAudit } from '../../client/audit/runAudit.ts'
import { engineRunner, nodeRunner } from '../../client/audit/runners.ts'
import { createBackend } from '../../node/backends/index.ts'
import { createLlamacppBackend } from '../../node/backends/llamacpp.ts'
import type { Backend } from '../../node/backends/types.ts'
import type { WebSocketConstructor } from '../../src/net/relayPool.ts'
import { auditMethods, greedyPrefixThreshold, type AuditMethod } from '../../src/protocol/auditMethod.ts'
import { engine, engineMissingHint, startLlamaServer, tempModelDir } from '../../test/helpers/engine/llamaServer.ts'
import { quantizeModel } from '../../test/helpers/engine/quantize.ts'
import { tinyModels, writeTinyModel } from '../../test/helpers/engine/tinyModel.ts'
import { startNode } from '../../test/helpers/node.ts'
import { startRelay } from '../../test/helpers/relay.ts'
import { waitFor } from '../../test/helpers/network.ts'
import { createTestClient } from '../../test/helpers/client.ts'

if (!engine()) {
  console.log(`skipped: ${engineMissingHint}`)
  process.exit(0)
}
const trials = Number(process.env.BENCH_AUDIT_TRIALS ?? 100)
const honestAudits = Number(process.env.BENCH_AUDIT_HONEST ?? 200)
const maxTokens = Number(process.env.BENCH_AUDIT_TOKENS ?? 24)
const methods = (process.env.BENCH_AUDIT_METHODS?.split(',') ?? ['greedy-logprob', 'greedy-prefix']) as AuditMethod[]
for (const m of methods) if (!(auditMethods as readonly string[]).includes(m)) throw new Error(`BENCH_AUDIT_METHODS: unknown method ${m} (known: ${auditMethods.join(', ')})`)
/** One audit job per this many client jobs of a node: the rate the cost figure assumes. */
const auditEvery = 20
const sha256 = (path: string) => `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`

const dir = tempModelDir()
const a = writeTinyModel(join(dir.path, 'tiny-a.gguf'), tinyModels.a)
const b = writeTinyModel(join(dir.path, 'tiny-b.gguf'), tinyModels.b)
const a16 = writeTinyModel(join(dir.path, 'tiny-a-f16.gguf'), { ...tinyModels.a, weights: 'f16' })
const a4 = await quantizeModel(a, join(dir.path, 'tiny-a-q4_0.gguf'), 'Q4_0')
const a8 = await quantizeModel(a, join(dir.path, 'tiny-a-q8_0.gguf'), 'Q8_0')
const digestA = sha256(a)
const relay = await startRelay()
const engines = await Promise.all([a, b, a4, a8, a16, a, a].map((model) => startLlamaServer({ model, alias: 'tiny-a', parallel: 1 })))
const [honestE, substitutedE, q4E, q8E, f16E, hotE, referenceE] = engines
const claim = (url: string): Backend => createLlamacppBackend({ baseUrl: url, fileDigest: async () => digestA })
const hot = (url: string): Backend => {
  const inner = createBackend({ kind: 'llamacpp', baseUrl: url })
  return Object.assign(Object.create(inner) as Backend, { chat: (r: Parameters<Backend['chat']>[0], o?: Parameters<Backend['chat']>[1]) => inner.chat({ ...r, params: { ...r.params, temperature: 1, seed: randomInt(2 ** 31) } }, o) })
}
// Every audit key connects from 127.0.0.1 here: the per-address auth limit would be every auditor's, so it is off.
const config = { authRatePerAddress: 0 }
const nodes = {
  honest: await startNode({ relays: [relay.url], backend: { kind: 'llamacpp', baseUrl: honestE!.url }, config }),
  substituted: await startNode({ relays: [relay.url], backend: claim(substitutedE!.url), config }),
  '4-bit copy (Q4_0)': await startNode({ relays: [relay.url], backend: claim(q4E!.url), config }),
  '8-bit copy (Q8_0)': await startNode({ relays: [relay.url], backend: claim(q8E!.url), config }),
  'f16 copy': await startNode({ relays: [relay.url], backend: claim(f16E!.url), config }),
  'temperature 1': await startNode({ relays: [relay.url], backend: hot(hotE!.url), config }),
}
const watcher = createTestClient({ relays: [relay.url], name: 'bench-audit-watch' })
await waitFor(async () => (await watcher.nodes({ model: 'tiny-a' })).filter((n) => n.live).length === Object.keys(nodes).length, 'every node live')
await watcher.close()
const reference = engineRunner({ url: referenceE!.url })
const ws = WebSocket as unknown as WebSocketConstructor

let seedBase = randomInt(2 ** 30)
let errors = 0
/** One audit; a job that never reached the node (a refused connection under load) is run again and counted. */
async function auditOnce(pubkey: string, method: AuditMethod): Promise<{ pass: boolean; score: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await auditJob(pubkey, method)
    } catch (err) {
      errors++
      if (attempt >= 3) throw err
    }
  }
}

async function auditJob(pubkey: string, method: AuditMethod): Promise<{ pass: boolean; score: number }> {
  const seed = seedBase++
  const { verdict } = await runAudit({
    node: pubkey, model: 'tiny-a', digest: digestA, jobs: auditPrompts(1, seed), maxTokens, seed, method,
    onNode: nodeRunner({ relays: [relay.url], node: pubkey, WebSocket: ws }), onReference: reference, reference: { kind: 'engine', digest: digestA },
  })
  return { pass: verdict.score <= verdict.threshold, score: verdict.score }
}

const started = performance.now()
let auditJobs = 0
const pct = (x: number) => `${(x * 100).toFixed(1)}%`
const report: string[] = []
for (const method of methods) {
  let honestFails = 0
  const honestScores: number[] = []
  for (let i = 0; i < honestAudits; i++) {
    const r = await auditOnce(nodes.honest.pubkey, method)
    auditJobs++
    honestScores.push(r.score)
    if (!r.pass) honestFails++
  }
  report.push(`  ${method}: honest node (baseline): false positives ${honestFails}/${honestAudits} = ${pct(honestFails / honestAudits)}; score max ${Math.max(...honestScores).toFixed(4)}`)
  for (const [cheat, node] of Object.entries(nodes)) {
    if (cheat === 'honest') continue
    const caught = [0, 0, 0]
    for (let t = 0; t < trials; t++) {
      let first = Infinity
      for (let k = 1; k <= 5; k++) {
        const r = await auditOnce(node.pubkey, method)
        auditJobs++
        if (!r.pass) {
          first = k
          break
        }
      }
      if (first <= 1) caught[0]!++
      if (first <= 3) caught[1]!++
      if (first <= 5) caught[2]!++
    }
    report.push(`  ${method}: ${cheat.padEnd(20)} caught within 1 audit ${pct(caught[0]! / trials)}, within 3 ${pct(caught[1]! / trials)}, within 5 ${pct(caught[2]! / trials)} (${trials} trials)`)
  }
}
const seconds = (performance.now() - started) / 1000
console.log(`audit detection on the real engine (threshold ${greedyPrefixThreshold}, ${maxTokens} tokens per audit job, one job per audit; load ${loadavg()[0].toFixed(2)}):`)
for (const line of report) console.log(line)
console.log(`  audit cost: 1 audit job per ${auditEvery} client jobs = ${pct(1 / (auditEvery + 1))} of a node's jobs (plus the auditor's reference run); a cheater is caught within 5 audits = within ~${5 * auditEvery} of its jobs`)
console.log(`  ${auditJobs} audit jobs in ${seconds.toFixed(1)} s; ${errors} audit jobs did not reach the node and were run again`)
for (const n of Object.values(nodes)) await n.stop()
for (const e of engines) await e.stop()
await relay.close()
dir.remove()
