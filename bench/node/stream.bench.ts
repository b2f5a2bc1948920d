// What the node adds on top of its backend, measured in one run beside the backend called directly:
//  1. time to first token over the WS direct channel (p50, p99) vs the fake Ollama through the adapter;
//  2. tokens/s of one stream at 2,000 tokens/s from the backend;
//  3. 64 concurrent streams: aggregate and per-stream throughput vs direct.
// The node, the relay and the fake backend each run as their own process, as in production; the client runs here. Sizes: BENCH_TTFT_RUNS (400), BENCH_TOKENS (2000), BENCH_STREAMS (64).
// BENCH_NODE_OPTIONS is handed to the node processes as NODE_OPTIONS (e.g. `--import ./profiler.mjs` to profile them).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBackend } from '../../node/backends/index.ts'
import { buildAuthEvent } from '../../src/protocol/auth.ts'
import { wsUrl } from '../../src/protocol/frames.ts'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import WebSocket from 'ws'
import { testSigner } from '../../test/helpers/keys.ts'
import { spawnNodeProcess } from '../../test/helpers/node.ts'
import { spawnRelayProcess } from '../../test/helpers/relay.ts'
import { connectWs, jobEvent } from '../../test/node/directClient.ts'

const ttftRuns = Number(process.env.BENCH_TTFT_RUNS ?? 400)
// Unmeasured jobs first on each path, so both are measured with warm code (JIT) and warm connections.
const warmup = 50
const tokens = Number(process.env.BENCH_TOKENS ?? 2000)
const streams = Number(process.env.BENCH_STREAMS ?? 64)
const rate = 2000

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!
}
const f = (n: number) => n.toFixed(2)

// The relay runs in its own process, as relays do in production (it verifies every status and result event).
const relayDir = mkdtempSync(join(tmpdir(), 'infernet-bench-relay-'))
const relay = await spawnRelayProcess({ dbPath: join(relayDir, 'relay.sqlite') })
/** The fake backend runs in its own process too, so the node and the baseline both reach it over loopback. */
async function spawnFake(count: number, tokensPerSecond: number): Promise<{ url: string; close(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./fakeOllamaProcess.ts', import.meta.url).pathname, String(count), String(tokensPerSecond)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', (l) => resolve((JSON.parse(l) as { url: string }).url)))
  return { url, close: () => new Promise<void>((r) => (child.once('exit', () => r()), child.kill('SIGTERM'))) }
}
const shortFake = await spawnFake(4, 0)
const longFake = await spawnFake(tokens, rate)
const homes = [mkdtempSync(join(tmpdir(), 'infernet-bench-')), mkdtempSync(join(tmpdir(), 'infernet-bench-'))]
// GET /status answers only its bearer token: the bench sets one for both nodes.
const statusToken = 'bench-status-token'
const statusHeaders = { authorization: `Bearer ${statusToken}` }
const env = {
  ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
  INFERNET_LOG_LEVEL: 'error',
  INFERNET_MAX_CONCURRENCY: String(Math.max(streams, 4)),
  INFERNET_MAX_QUEUE: '0',
  INFERNET_STATUS_TOKEN: statusToken,
  // Every stream's connection auth comes from this one address, at once.
  INFERNET_AUTH_RATE_PER_ADDRESS: '0',
}
const shortNode = await spawnNodeProcess({ relays: [relay.url], backendUrl: shortFake.url, backendKind: 'ollama', home: homes[0]!, env })
const longNode = await spawnNodeProcess({ relays: [relay.url], backendUrl: longFake.url, backendKind: 'ollama', home: homes[1]!, env })
const client = testSigner('bench-client')
const bid = { input: '0', output: '0' }

try {
  // 1. TTFT
  const direct = createBackend({ kind: 'ollama', baseUrl: shortFake.url })
  const request = { model: 'llama3:latest', messages: [{ role: 'user' as const, content: 'hi' }] }
  const directTtft: number[] = []
  for (let i = 0; i < ttftRuns + warmup; i++) {
    const t0 = performance.now()
    let first = -1
    for await (const c of direct.chat(request)) if (c.type === 'delta' && first < 0) first = performance.now() - t0
    if (i >= warmup) directTtft.push(first)
  }
  // As the SDK does: the connection is authenticated once, then each job travels without an auth event.
  const ws = await connectWs(shortNode.streamUrl, client)
  if ((await ws.authenticate()).type !== 'authenticated') throw new Error('the node refused the connection auth')
  const nodeTtft: number[] = []
  for (let i = 0; i < ttftRuns + warmup; i++) {
    const event = await jobEvent(client, shortNode.pubkey, { bid })
    const t0 = performance.now()
    await ws.submit(event, null)
    await ws.waitFor((fr) => fr.type === 'chunk' && fr.job === event.id)
    const t = performance.now() - t0
    await ws.end(event.id)
    ws.frames.length = 0
    if (i >= warmup) nodeTtft.push(t)
  }
  await ws.close()
  console.log(`TTFT over WS, ${ttftRuns} sequential jobs (fake Ollama, 4-token reply, no pacing):`)
  console.log(`  direct backend   p50 ${f(pct(directTtft, 50))} ms   p99 ${f(pct(directTtft, 99))} ms`)
  console.log(`  through the node p50 ${f(pct(nodeTtft, 50))} ms   p99 ${f(pct(nodeTtft, 99))} ms`)
  const st = (await (await fetch(new URL('/status', shortNode.streamUrl), { headers: statusHeaders })).json()) as { overheadMs: { intakeP50: number; intakeP99: number; egressP50: number; egressP99: number } }
  const o = st.overheadMs
  console.log(`  node's own work on the path (its clock): arrival -> backend call p50 ${f(o.intakeP50)} / p99 ${f(o.intakeP99)} ms, first token -> frame sent p50 ${f(o.egressP50)} / p99 ${f(o.egressP99)} ms`)
  console.log(`  added by node    p50 ${f(pct(nodeTtft, 50) - pct(directTtft, 50))} ms   p99 ${f(pct(nodeTtft, 99) - pct(directTtft, 99))} ms   (target p50 < 2 ms)`)

  // 2 + 3. throughput
  const directLong = createBackend({ kind: 'ollama', baseUrl: longFake.url })
  // Tokens as the backend reports them in its final record (a delta carries every token of one network read).
  const directStream = async () => {
    let n = 0
    let first = 0
    for await (const c of directLong.chat({ ...request })) {
      if (c.type === 'delta') first ||= performance.now()
      else n = c.usage.completionTokens
    }
    return { tokens: n, ms: performance.now() - first }
  }
  type Prepared = { event: Awaited<ReturnType<typeof jobEvent>> }
  // Jobs are signed before the clock starts: client-side signing is not the node's cost.
  const prepare = async (): Promise<Prepared> => ({ event: await jobEvent(client, longNode.pubkey, { bid }) })
  // A light client: chunk frames are recognised by their prefix and counted, not parsed (like the baseline, which
  // does not decrypt either); only the final frame is parsed.
  // Each connection is authenticated once before the clock starts, as the SDK does.
  const openWs = async () => {
    const url = wsUrl(longNode.streamUrl)
    const ws = new WebSocket(url)
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)))
    const answer = new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))))
    ws.send(JSON.stringify({ type: 'auth', event: await buildAuthEvent(client, { url, method: 'WS', connection: true }) }))
    if (!(await answer).startsWith('{"type":"authenticated"')) throw new Error(`the node refused the connection auth: ${await answer}`)
    return ws
  }
  const nodeStream = (ws: WebSocket, { event }: Prepared) =>
    new Promise<{ tokens: number; ms: number }>((resolve, reject) => {
      let first = 0
      const onMessage = (d: WebSocket.RawData) => {
        const text = String(d)
        if (text.startsWith('{"type":"chunk"')) {
          if (!first) first = performance.now()
          return
        }
        const frame = JSON.parse(text) as { type: string; event?: { tags: string[][] }; message?: string }
        if (frame.type === 'result') {
          ws.off('message', onMessage)
          resolve({ tokens: Number(frame.event!.tags.find((t) => t[0] === 'usage')?.[2]), ms: performance.now() - first })
        } else if (frame.type === 'error') reject(new Error(frame.message))
      }
      ws.on('message', onMessage)
      ws.send(JSON.stringify({ type: 'job', event }))
    })
  const tps = (r: { tokens: number; ms: number }) => ((r.tokens - 1) * 1000) / r.ms
  const d1 = await directStream()
  const c1 = await openWs()
  const n1 = await nodeStream(c1, await prepare())
  c1.close()
  console.log(`One stream, ${tokens} tokens at ${rate} tokens/s from the backend:`)
  console.log(`  direct ${f(tps(d1))} tok/s   through the node ${f(tps(n1))} tok/s   ratio ${f((100 * tps(n1)) / tps(d1))}% (target >= 97%)`)

  const nodeCpu = async () => {
    const s = (await (await fetch(new URL('/status', longNode.streamUrl), { headers: statusHeaders })).json()) as { cpuMs: number; tokensOut: number }
    return s
  }
  const conns = await Promise.all(Array.from({ length: streams }, () => openWs()))
  const prepared = await Promise.all(conns.map(() => prepare()))
  let t0 = performance.now()
  const cpu0 = process.cpuUsage()
  const dAll = await Promise.all(Array.from({ length: streams }, () => directStream()))
  const cpuD = process.cpuUsage(cpu0)
  const dWall = performance.now() - t0
  const n0 = await nodeCpu()
  t0 = performance.now()
  const nAll = await Promise.all(conns.map((c, i) => nodeStream(c, prepared[i]!)))
  const nWall = performance.now() - t0
  const n1s = await nodeCpu()
  for (const c of conns) c.close()
  const sum = (xs: { tokens: number }[]) => xs.reduce((a, r) => a + r.tokens, 0)
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  const dPer = dAll.map(tps)
  const nPer = nAll.map(tps)
  console.log(`${streams} concurrent streams, ${tokens} tokens each at ${rate} tokens/s:`)
  console.log(
    `  aggregate over the wall clock (from sending all ${streams} jobs at once to the last result, so it also counts the node's intake of the burst and the signing of ${streams} results): direct ${f((sum(dAll) * 1000) / dWall)} tok/s   through the node ${f((sum(nAll) * 1000) / nWall)} tok/s   ratio ${f((100 * sum(nAll) * dWall) / (sum(dAll) * nWall))}%`,
  )
  const dUs = ((cpuD.user + cpuD.system) / sum(dAll))
  const nUs = ((n1s.cpuMs - n0.cpuMs) * 1000) / (n1s.tokensOut - n0.tokensOut)
  console.log(`  CPU per token: node process ${f(nUs)} µs (receive, batch, encrypt, send)   adapter alone, direct ${f(dUs)} µs   -> one node core streams ~${Math.round(1e6 / nUs)} tok/s`)
  console.log(`  tokens/s per stream (mean / min): direct ${f(mean(dPer))} / ${f(Math.min(...dPer))}   node ${f(mean(nPer))} / ${f(Math.min(...nPer))}   ratio of means ${f((100 * mean(nPer)) / mean(dPer))}% (target >= 97%)`)
} finally {
  await shortNode.stop()
  await longNode.stop()
  await shortFake.close()
  await longFake.close()
  await relay.stop()
  rmSync(relayDir, { recursive: true, force: true })
  for (const h of homes) rmSync(h, { recursive: true, force: true })
}
