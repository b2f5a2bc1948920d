// Coordinator and gateway figures, each beside a baseline measured in the same run:
//  1. added TTFT through gateway + node (OpenAI streaming request -> first content chunk) vs the fake backend
//     called directly (p50, p99 over BENCH_TTFT_REQUESTS sequential requests);
//  2. sustained streams at BENCH_CONCURRENCY (default 500) concurrent gateway clients vs the same load on the
//     fake backend directly (completed, errors, p50/p99 TTFT, output tokens/s);
//  3. routing decision time with BENCH_NODES (default 10,000) indexed nodes (p50/p99 over 10,000 decisions)
//     vs a naive filter + full sort of the same candidates;
//  4. heartbeats indexed per second (validation incl. Schnorr verification, one SQLite transaction per batch)
//     vs bare signature verification of the same events;
//  5. RSS with BENCH_NODES nodes indexed (a fresh child process, bench/gateway/rssProbe.ts) vs its RSS before.
// The node daemon and the relay run as child processes; the coordinator (gateway included) and the load generator
// share this process on 127.0.0.1, so the figures include the load generator's event loop. Run: npm run bench -- gateway   (BENCH_NODES=2000
// BENCH_CONCURRENCY=100 for a quick run)
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateSecretKey } from 'nostr-tools/pure'
import { buildCapability } from '../../src/protocol/capability.ts'
import type { NostrEvent } from '../../src/protocol/event.ts'
import { loadNostrWasm, loadWasmEventVerifier, loadWasmVerifier, verifySignatureNoble } from '../../src/protocol/verify.ts'
import { openCoordinatorDb } from '../../src/coordinator/db.ts'
import { createIndexer } from '../../src/coordinator/indexer.ts'
import { MarketIndex } from '../../src/coordinator/marketIndex.ts'
import { isCandidate, pickFromRanked } from '../../src/routing/rank.ts'
import { scoreNode } from '../../src/routing/score.ts'
import type { Signer } from '../../src/signer.ts'
import { startCoordinator } from '../../test/helpers/coordinator.ts'
import { startFakeOllama } from '../../test/helpers/fakeBackends/ollama.ts'
import { spawnNodeProcess } from '../../test/helpers/node.ts'
import { fetchCoordinatorNodes } from '../../client/coordinatorSource.ts'
import { marketNodeSource } from '../../src/coordinator/gateway/network.ts'
import { spawnRelayProcess } from '../../test/helpers/relay.ts'

const N = Number(process.env.BENCH_NODES ?? 10_000)
const C = Number(process.env.BENCH_CONCURRENCY ?? 500)
const T = Number(process.env.BENCH_TTFT_REQUESTS ?? 200)
const reply = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty'

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN
}
const ms = (x: number) => `${x.toFixed(2)} ms`
const rows: [string, string, string][] = []
const row = (what: string, ours: string, baseline: string) => {
  rows.push([what, ours, baseline])
  console.log(`${what.padEnd(52)} ${ours.padEnd(36)} ${baseline}`)
}

/** Time to the first non-empty content of a streaming response; reads it to the end. */
async function streamTtft(url: string, body: unknown, headers: Record<string, string>, isContent: (line: string) => boolean): Promise<{ ttft: number; ok: boolean; chars: number }> {
  const t0 = performance.now()
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
  if (!res.ok || !res.body) {
    await res.text().catch(() => '')
    return { ttft: NaN, ok: false, chars: 0 }
  }
  let ttft = NaN
  let chars = 0
  const decoder = new TextDecoder()
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    const text = decoder.decode(chunk, { stream: true })
    chars += text.length
    if (Number.isNaN(ttft) && text.split('\n').some(isContent)) ttft = performance.now() - t0
  }
  return { ttft, ok: !Number.isNaN(ttft), chars }
}

const gatewayContent = (line: string) => line.startsWith('data: {') && line.includes('"content":"') && !line.includes('"content":""')
const ollamaContent = (line: string) => line.includes('"content":"') && !line.includes('"content":""')

async function gatewayFigures() {
  // The node daemon and the relay run in their own processes, as on a real network (their signing and
  // verification are not on the gateway's event loop); the coordinator (with its gateway) and the load generator
  // run here.
  const relayDir = mkdtempSync(join(tmpdir(), 'infernet-bench-relay-'))
  const relay = await spawnRelayProcess({ dbPath: join(relayDir, 'relay.sqlite') })
  const fake = await startFakeOllama({ models: ['llama3'], reply, tokensPerSecond: 0 })
  const paced = await startFakeOllama({ models: ['llama3'], reply, tokensPerSecond: 50 })
  const homes = [mkdtempSync(join(tmpdir(), 'infernet-bench-node-')), mkdtempSync(join(tmpdir(), 'infernet-bench-node-'))]
  const env = { INFERNET_MAX_CONCURRENCY: String(Math.max(C, 4)), INFERNET_MAX_QUEUE: String(C) }
  const coord = await startCoordinator({ relays: [relay.url], config: { acceptTimeoutMs: 60_000 } })
  const waitLive = async (pubkey: string) => {
    const deadline = Date.now() + 20_000
    while (!coord.coordinator.market.nodes.get(pubkey)?.heartbeat && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
  }
  const node = await spawnNodeProcess({ relays: [relay.url], backendUrl: fake.url, backendKind: 'ollama', home: homes[0]!, env })
  await waitLive(node.pubkey)
  const gw = `${coord.url}/v1/chat/completions`
  const direct = `${fake.url}/api/chat`
  const messages = [{ role: 'user', content: 'count to twenty' }]
  const gwBody = { model: 'llama3', messages, stream: true }
  const directBody = { model: 'llama3', messages, stream: true }
  // Warm up both paths.
  for (let i = 0; i < 20; i++) {
    await streamTtft(gw, gwBody, {}, gatewayContent)
    await streamTtft(direct, directBody, {}, ollamaContent)
  }
  const g: number[] = []
  const d: number[] = []
  for (let i = 0; i < T; i++) {
    d.push((await streamTtft(direct, directBody, {}, ollamaContent)).ttft)
    g.push((await streamTtft(gw, gwBody, {}, gatewayContent)).ttft)
  }
  row(`TTFT p50 (${T} sequential requests)`, `gateway+node ${ms(pct(g, 50))}`, `backend direct ${ms(pct(d, 50))}`)
  row(`TTFT p99`, `gateway+node ${ms(pct(g, 99))}`, `backend direct ${ms(pct(d, 99))}`)
  row(`added TTFT p50 / p99`, `${ms(pct(g, 50) - pct(d, 50))} / ${ms(pct(g, 99) - pct(d, 99))}`, `target p50 < 5 ms`)
  // Where the added time goes: the gateway's candidate lookup (its SDK reads the coordinator's market in-process)
  // beside what a remote SDK pays for the same answer (HTTP listing, then a Schnorr re-verification per event).
  const app = coord.coordinator.app
  const inProcess = (async (input: RequestInfo | URL, init?: RequestInit) => app.fetch(new Request(input, init))) as typeof fetch
  const source = marketNodeSource({ market: coord.coordinator.market, limit: 3, topK: 4, random: Math.random })
  const lookup: number[] = []
  const reverify: number[] = []
  // What a remote SDK checks with once ready() has loaded libsecp256k1.
  const sdkVerifier = await loadWasmEventVerifier()
  for (let i = 0; i < T; i++) {
    const t0 = performance.now()
    await source({ model: 'llama3', now: Math.floor(Date.now() / 1000) })
    lookup.push(performance.now() - t0)
    const t1 = performance.now()
    await fetchCoordinatorNodes({ coordinator: 'http://coordinator.in-process', model: 'llama3', fetch: inProcess, now: Math.floor(Date.now() / 1000), verifier: sdkVerifier })
    reverify.push(performance.now() - t1)
  }
  row(`gateway candidate lookup p50 / p99`, `${ms(pct(lookup, 50))} / ${ms(pct(lookup, 99))}`, `remote SDK: listing + re-verify ${ms(pct(reverify, 50))} / ${ms(pct(reverify, 99))}`)

  // Sustained concurrent streams, paced at 50 tokens/s so the streams overlap for seconds: a second node on the
  // paced backend; the first one leaves the market (stopped, and forgotten by the index) so all load goes there.
  await node.stop()
  const node2 = await spawnNodeProcess({ relays: [relay.url], backendUrl: paced.url, backendKind: 'ollama', home: homes[1]!, env })
  await waitLive(node2.pubkey)
  coord.coordinator.market.remove(node.pubkey)
  const load = async (url: string, body: unknown, isContent: (l: string) => boolean) => {
    const t0 = performance.now()
    const results = await Promise.all(Array.from({ length: C }, () => streamTtft(url, body, {}, isContent).catch(() => ({ ttft: NaN, ok: false, chars: 0 }))))
    const seconds = (performance.now() - t0) / 1000
    const ok = results.filter((r) => r.ok)
    return { ok: ok.length, errors: C - ok.length, p50: pct(ok.map((r) => r.ttft), 50), p99: pct(ok.map((r) => r.ttft), 99), seconds }
  }
  const tokens = reply.split(' ').length
  const lg = await load(gw, gwBody, gatewayContent)
  const ld = await load(`${paced.url}/api/chat`, directBody, ollamaContent)
  row(`${C} concurrent streams: completed / errors`, `gateway ${lg.ok} / ${lg.errors}`, `backend direct ${ld.ok} / ${ld.errors}`)
  row(`${C} concurrent streams: TTFT p50 / p99`, `gateway ${ms(lg.p50)} / ${ms(lg.p99)}`, `backend direct ${ms(ld.p50)} / ${ms(ld.p99)}`)
  row(`${C} concurrent streams: output tokens/s (wall)`, `gateway ${((lg.ok * tokens) / lg.seconds).toFixed(0)} in ${lg.seconds.toFixed(2)} s`, `backend direct ${((ld.ok * tokens) / ld.seconds).toFixed(0)} in ${ld.seconds.toFixed(2)} s`)
  await coord.close()
  await node2.stop()
  await paced.close()
  await fake.close()
  await relay.stop()
  rmSync(relayDir, { recursive: true, force: true })
  for (const h of homes) rmSync(h, { recursive: true, force: true })
}

async function indexFigures() {
  const models = Array.from({ length: 20 }, (_, i) => `model-${i}`)
  const now = Math.floor(Date.now() / 1000)
  console.log(`signing ${N} capabilities and ${N} heartbeats (libsecp256k1)...`)
  const nw = await loadNostrWasm()
  const sign = (template: Omit<NostrEvent, 'id' | 'pubkey' | 'sig'>, key: Uint8Array): NostrEvent => {
    const event = { ...template } as NostrEvent
    nw.finalizeEvent(event, key)
    return event
  }
  const keys = Array.from({ length: N }, () => generateSecretKey())
  const caps: NostrEvent[] = []
  const hbs: NostrEvent[] = []
  for (let i = 0; i < N; i++) {
    // Model 0 is served by half the market (the worst case for routing); others by a few percent each.
    const served = i % 2 === 0 ? ['model-0', models[1 + (i % 19)]!] : [models[1 + (i % 19)]!]
    const signer = { signEvent: async (t: Omit<NostrEvent, 'id' | 'pubkey' | 'sig'>) => sign(t, keys[i]!) } as unknown as Signer
    caps.push(
      await buildCapability(
        signer,
        {
          v: 1,
          backend: 'ollama',
          models: served.map((id) => ({ id })),
          price: { input: String((i % 50) * 10_000), output: String((i % 70) * 20_000) },
          gpus: [{ vendor: 'nvidia', name: 'H100', vramMiB: 81559 }],
          region: ['eu', 'us', 'ap'][i % 3],
          stream: `http://10.0.${(i >> 8) & 255}.${i & 255}:8080`,
          maxConcurrency: 8,
          maxPromptBytes: 65536,
        },
        { now },
      ),
    )
    // interval 600 s (expiration now + 1800 s) so no heartbeat expires while this run signs and indexes.
    const content = { v: 1, models: served, loaded: served, slots: { free: i % 9, total: 8 + (i % 2) }, queue: 0, tps: 20 + (i % 80), ttftMs: 50 + (i % 400), gpus: [{ utilization: 0.5, vramFreeMiB: 1000 }], interval: 600, backendHealthy: true }
    hbs.push(sign({ kind: 13830, created_at: now, tags: [['expiration', String(now + 1800)], ...served.map((m) => ['m', m])], content: JSON.stringify(content) }, keys[i]!))
  }
  const dir = mkdtempSync(join(tmpdir(), 'infernet-bench-'))
  const db = openCoordinatorDb(join(dir, 'c.db'))
  const market = new MarketIndex()
  const indexer = createIndexer({ db, market, flushMs: 1_000_000 })
  await indexer.start()
  for (const e of caps) indexer.ingest(e)
  indexer.flush()

  // Heartbeats indexed per second: validate (incl. Schnorr) + apply, flushed every 500 events (one transaction each).
  const tv = performance.now()
  let verified = 0
  for (const e of hbs) if (verifySignatureNoble(e)) verified++
  const verifyRate = verified / ((performance.now() - tv) / 1000)
  const wasmVerify = await loadWasmVerifier()
  const tw = performance.now()
  let wasmVerified = 0
  for (const e of hbs) if (wasmVerify(e)) wasmVerified++
  const wasmRate = wasmVerified / ((performance.now() - tw) / 1000)
  const ti = performance.now()
  for (let i = 0; i < hbs.length; i++) {
    indexer.ingest(hbs[i]!)
    if (i % 500 === 499) indexer.flush()
  }
  indexer.flush()
  const indexRate = hbs.length / ((performance.now() - ti) / 1000)
  row(`heartbeats indexed per second (${N} nodes)`, `${indexRate.toFixed(0)}/s`, `bare verify: noble ${verifyRate.toFixed(0)}/s, libsecp256k1 ${wasmRate.toFixed(0)}/s`)
  if (indexer.counters.indexed.heartbeat !== N) throw new Error(`indexed ${indexer.counters.indexed.heartbeat} of ${N} heartbeats: ${JSON.stringify(indexer.counters.rejected)}`)
  let live = 0
  for (const _ of market.liveNodes(now)) live++
  if (live !== N) throw new Error(`only ${live} of ${N} nodes live`)

  // Routing decisions: the in-memory per-model index with a bounded top-k, vs filter + full sort of every node.
  const R = 10_000
  const queries = Array.from({ length: R }, (_, i) => ({ model: i % 2 === 0 ? 'model-0' : models[1 + (i % 19)]!, region: ['eu', 'us', 'ap'][i % 3], maxPrice: { input: '400000', output: '1200000' } }))
  const timesOurs: number[] = []
  const timesNaive: number[] = []
  // CPU time per decision too: on a shared machine wall-clock p99 mostly measures preemption.
  const cpuOurs: number[] = []
  const all = [...market.nodes.values()]
  // Churn: one node's score inputs change every 3 decisions (10,000 heartbeats per 30 s at 1,000 decisions/s).
  for (let i = 0; i < R; i++) {
    const q = queries[i]!
    if (i % 3 === 0) {
      const n = all[(i * 7919) % all.length]!
      n.inflight = (n.inflight + 1) % 3
      market.touch(n)
    }
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    const ranked = market.route(q, { now, limit: 4 })
    pickFromRanked(ranked, { k: 4, random: Math.random })
    timesOurs.push(performance.now() - t0)
    const c = process.cpuUsage(c0)
    cpuOurs.push((c.user + c.system) / 1000)
    if (i % 10 === 0) {
      const t1 = performance.now()
      all.filter((n) => isCandidate(n, q, now)).map((node) => ({ node, score: scoreNode(node, q) })).sort((a, b) => b.score - a.score)
      timesNaive.push(performance.now() - t1)
    }
  }
  const worst = timesOurs.filter((_, i) => i % 2 === 0)
  row(`routing decision, ${N} nodes, with churn: p50 / p99`, `${ms(pct(timesOurs, 50))} / ${ms(pct(timesOurs, 99))}`, `naive filter+sort ${ms(pct(timesNaive, 50))} / ${ms(pct(timesNaive, 99))}`)
  row(`routing decision, model on ${Math.ceil(N / 2)} nodes: p50 / p99`, `${ms(pct(worst, 50))} / ${ms(pct(worst, 99))}`, `target p99 < 1 ms`)
  row(`routing decision CPU time: p50 / p99 / max`, `${ms(pct(cpuOurs, 50))} / ${ms(pct(cpuOurs, 99))} / ${ms(Math.max(...cpuOurs))}`, `(process.cpuUsage, all queries)`)

  // RSS in a fresh child process that only indexes the same signed events (no signing garbage, no event arrays).
  const file = join(dir, 'events.json')
  writeFileSync(file, JSON.stringify([...caps, ...hbs]))
  const probe = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', new URL('./rssProbe.ts', import.meta.url).pathname, file], { encoding: 'utf8' })
  const r = JSON.parse(probe.stdout.trim().split('\n').pop()!) as { before: number; after: number; heap: number; nodes: number }
  const mib = (x: number) => `${(x / 2 ** 20).toFixed(0)} MiB`
  row(`RSS with ${r.nodes} nodes indexed (fresh process)`, `${mib(r.after)} (heap ${mib(r.heap)})`, `same process before indexing ${mib(r.before)}; target < 300 MB`)
  indexer.close()
  db.close()
  rmSync(dir, { recursive: true, force: true })
}

console.log(`coordinator/gateway bench: BENCH_NODES=${N} BENCH_CONCURRENCY=${C} BENCH_TTFT_REQUESTS=${T}; ${availableParallelism()} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`)
if (process.env.BENCH_SKIP_INDEX !== '1') await indexFigures()
if (process.env.BENCH_SKIP_GATEWAY !== '1') await gatewayFigures()
console.log(`load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`)
process.exit(0)
