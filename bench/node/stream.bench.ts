// What the node adds on top of its backend, measured in one run beside the backend called directly:
//  1. time to first token over the WS direct channel (p50, p99) vs the fake Ollama through the adapter;
//  2. tokens/s of one stream at 2,000 tokens/s from the backend;
//  3. 64 concurrent streams: aggregate and per-stream throughput vs direct.
// The node runs as its own process (`infernet start`), as in production; the fake backend, the relay and the
// client share this process. Sizes: BENCH_TTFT_RUNS (200), BENCH_TOKENS (2000), BENCH_STREAMS (64).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBackend } from '../../node/backends/index.ts'
import { buildAuthEvent } from '../../src/protocol/auth.ts'
import { wsUrl } from '../../src/protocol/frames.ts'
import { startFakeOllama } from '../../test/helpers/fakeBackends/ollama.ts'
import { testSigner } from '../../test/helpers/keys.ts'
import { spawnNodeProcess } from '../../test/helpers/node.ts'
import { spawnRelayProcess } from '../../test/helpers/relay.ts'
import { connectWs, jobEvent } from '../../test/node/directClient.ts'

const ttftRuns = Number(process.env.BENCH_TTFT_RUNS ?? 200)
const tokens = Number(process.env.BENCH_TOKENS ?? 2000)
const streams = Number(process.env.BENCH_STREAMS ?? 64)
const rate = 2000

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!
}
const f = (n: number) => n.toFixed(2)
const reply = (n: number) => Array.from({ length: n }, (_, i) => `t${i % 10} `).join('')

// The relay runs in its own process, as relays do in production (it verifies every status and result event).
const relayDir = mkdtempSync(join(tmpdir(), 'infernet-bench-relay-'))
const relay = await spawnRelayProcess({ dbPath: join(relayDir, 'relay.sqlite') })
const shortFake = await startFakeOllama({ models: ['llama3'], reply: reply(4), tokensPerSecond: 0 })
const longFake = await startFakeOllama({ models: ['llama3'], reply: reply(tokens), tokensPerSecond: rate })
const homes = [mkdtempSync(join(tmpdir(), 'infernet-bench-')), mkdtempSync(join(tmpdir(), 'infernet-bench-'))]
const env = { INFERNET_LOG_LEVEL: 'error', INFERNET_MAX_CONCURRENCY: String(Math.max(streams, 4)), INFERNET_MAX_QUEUE: '0' }
const shortNode = await spawnNodeProcess({ relays: [relay.url], backendUrl: shortFake.url, backendKind: 'ollama', home: homes[0]!, env })
const longNode = await spawnNodeProcess({ relays: [relay.url], backendUrl: longFake.url, backendKind: 'ollama', home: homes[1]!, env })
const client = testSigner('bench-client')
const bid = { input: '0', output: '0' }

try {
  // 1. TTFT
  const direct = createBackend({ kind: 'ollama', baseUrl: shortFake.url })
  const request = { model: 'llama3:latest', messages: [{ role: 'user' as const, content: 'hi' }] }
  const directTtft: number[] = []
  for (let i = 0; i < ttftRuns + 10; i++) {
    const t0 = performance.now()
    let first = -1
    for await (const c of direct.chat(request)) if (c.type === 'delta' && first < 0) first = performance.now() - t0
    if (i >= 10) directTtft.push(first)
  }
  const ws = await connectWs(shortNode.streamUrl, client)
  const nodeTtft: number[] = []
  for (let i = 0; i < ttftRuns + 10; i++) {
    const event = await jobEvent(client, shortNode.pubkey, { bid })
    const auth = await buildAuthEvent(client, { url: wsUrl(shortNode.streamUrl), method: 'WS', payloadHash: event.id })
    const t0 = performance.now()
    await ws.submit(event, auth)
    await ws.waitFor((fr) => fr.type === 'chunk' && fr.job === event.id)
    const t = performance.now() - t0
    await ws.end(event.id)
    ws.frames.length = 0
    if (i >= 10) nodeTtft.push(t)
  }
  await ws.close()
  console.log(`TTFT over WS, ${ttftRuns} sequential jobs (fake Ollama, 4-token reply, no pacing):`)
  console.log(`  direct backend   p50 ${f(pct(directTtft, 50))} ms   p99 ${f(pct(directTtft, 99))} ms`)
  console.log(`  through the node p50 ${f(pct(nodeTtft, 50))} ms   p99 ${f(pct(nodeTtft, 99))} ms`)
  console.log(`  added by node    p50 ${f(pct(nodeTtft, 50) - pct(directTtft, 50))} ms   p99 ${f(pct(nodeTtft, 99) - pct(directTtft, 99))} ms   (target p50 < 2 ms)`)

  // 2 + 3. throughput
  const directLong = createBackend({ kind: 'ollama', baseUrl: longFake.url })
  const directStream = async () => {
    let n = 0
    let first = 0
    for await (const c of directLong.chat({ ...request })) {
      if (c.type === 'delta') {
        if (n++ === 0) first = performance.now()
      }
    }
    return { tokens: n, ms: performance.now() - first }
  }
  type Prepared = { event: Awaited<ReturnType<typeof jobEvent>>; auth: Awaited<ReturnType<typeof buildAuthEvent>> }
  // Jobs and auth events are signed before the clock starts: client-side signing is not the node's cost.
  const prepare = async (): Promise<Prepared> => {
    const event = await jobEvent(client, longNode.pubkey, { bid })
    return { event, auth: await buildAuthEvent(client, { url: wsUrl(longNode.streamUrl), method: 'WS', payloadHash: event.id }) }
  }
  const nodeStream = async (conn: Awaited<ReturnType<typeof connectWs>>, { event, auth }: Prepared) => {
    let first = 0
    const onChunk = (d: unknown) => {
      if (!first && String(d).includes('"type":"chunk"')) first = performance.now()
    }
    conn.ws.on('message', onChunk)
    await conn.submit(event, auth)
    const end = await conn.end(event.id, 120_000)
    conn.ws.off('message', onChunk)
    const usage = end.type === 'result' ? Number(end.event.tags.find((t) => t[0] === 'usage')?.[2]) : 0
    return { tokens: usage, ms: performance.now() - first }
  }
  const tps = (r: { tokens: number; ms: number }) => ((r.tokens - 1) * 1000) / r.ms
  const d1 = await directStream()
  const c1 = await connectWs(longNode.streamUrl, client)
  const n1 = await nodeStream(c1, await prepare())
  await c1.close()
  console.log(`One stream, ${tokens} tokens at ${rate} tokens/s from the backend:`)
  console.log(`  direct ${f(tps(d1))} tok/s   through the node ${f(tps(n1))} tok/s   ratio ${f((100 * tps(n1)) / tps(d1))}% (target >= 97%)`)

  const conns = await Promise.all(Array.from({ length: streams }, () => connectWs(longNode.streamUrl, client)))
  const prepared = await Promise.all(conns.map(() => prepare()))
  let t0 = performance.now()
  const dAll = await Promise.all(Array.from({ length: streams }, () => directStream()))
  const dWall = performance.now() - t0
  t0 = performance.now()
  const nAll = await Promise.all(conns.map((c, i) => nodeStream(c, prepared[i]!)))
  const nWall = performance.now() - t0
  await Promise.all(conns.map((c) => c.close()))
  const sum = (xs: { tokens: number }[]) => xs.reduce((a, r) => a + r.tokens, 0)
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  const dPer = dAll.map(tps)
  const nPer = nAll.map(tps)
  console.log(`${streams} concurrent streams, ${tokens} tokens each at ${rate} tokens/s:`)
  console.log(`  aggregate: direct ${f((sum(dAll) * 1000) / dWall)} tok/s   through the node ${f((sum(nAll) * 1000) / nWall)} tok/s   ratio ${f((100 * sum(nAll) * dWall) / (sum(dAll) * nWall))}%`)
  console.log(`  per stream (mean / min): direct ${f(mean(dPer))} / ${f(Math.min(...dPer))}   node ${f(mean(nPer))} / ${f(Math.min(...nPer))}   ratio of means ${f((100 * mean(nPer)) / mean(dPer))}%`)
} finally {
  await shortNode.stop()
  await longNode.stop()
  await shortFake.close()
  await longFake.close()
  await relay.stop()
  rmSync(relayDir, { recursive: true, force: true })
  for (const h of homes) rmSync(h, { recursive: true, force: true })
}
