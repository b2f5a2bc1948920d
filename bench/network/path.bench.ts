// The whole path vs the backend alone, in the same run. Network: our relay and the third-party relay (each
// spawned), 3 node agents (spawned, `infernet start`, max-concurrency 200) on fake Ollama backends (in this
// process, instant tokens, a 20-token reply), one coordinator/gateway (spawned). The load generator (this
// process) sends OpenAI streaming requests to the gateway (client -> gateway -> node -> backend) and, as the
// baseline, the same streaming requests straight to one fake backend's /api/chat. Per concurrency level
// (BENCH_LEVELS, default 1,50,500): TTFT p50/p99 (request sent -> first content byte), added TTFT = path - backend,
// completed streams/s (= jobs/s the network sustains with 3 nodes) and tokens/s. BENCH_REQUESTS (default 200)
// requests per level at least (at least one per stream). The relay's per-connection/IP event rate limits are
// lifted (on loopback every process shares one IP). After each level: CPU per job and per token of every process
// (Linux /proc: relays, coordinator, nodes; this process, the load generator with the fake engines, beside what it
// spent per stream on the baseline). Run: npm run bench -- network/path
import { generateSecretKey } from 'nostr-tools/pure'
import { createFastSigner } from '../../src/schnorr/fastest.ts'
import type { ChatMessage } from '../../client/client.ts'
import { startTestNetwork, model } from '../../test/helpers/network.ts'
import { processCpuMs } from '../../test/helpers/procCpu.ts'

const levels = (process.env.BENCH_LEVELS ?? '1,50,500').split(',').map(Number)
const R = Number(process.env.BENCH_REQUESTS ?? 200)
const reply = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty'
const tokens = 20

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN
}

async function streamTtft(url: string, body: unknown, isContent: (text: string) => boolean): Promise<number> {
  const t0 = performance.now()
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (!res.ok || !res.body) {
    await res.text().catch(() => '')
    return NaN
  }
  let ttft = NaN
  const decoder = new TextDecoder()
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    if (Number.isNaN(ttft) && isContent(decoder.decode(chunk, { stream: true }))) ttft = performance.now() - t0
  }
  return ttft
}

const gatewayContent = (t: string) => t.split('\n').some((l) => l.startsWith('data: {') && l.includes('"content":"') && !l.includes('"content":""'))
const ollamaContent = (t: string) => t.split('\n').some((l) => l.includes('"content":"') && !l.includes('"content":""'))

async function level(c: number, run: () => Promise<number>): Promise<{ p50: number; p99: number; ok: number; errors: number; wallMs: number }> {
  const total = Math.max(R, c)
  let next = 0
  const ttfts: number[] = []
  let errors = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (next < total) {
        next++
        const t = await run().catch(() => NaN)
        if (Number.isNaN(t)) errors++
        else ttfts.push(t)
      }
    }),
  )
  return { p50: pct(ttfts, 50), p99: pct(ttfts, 99), ok: ttfts.length, errors, wallMs: performance.now() - t0 }
}

async function main() {
  const net = await startTestNetwork({
    coordinators: 1,
    logLevel: 'warn',
    thirdPartyRelay: 'process',
    relayEnv: { INFERNET_RELAY_EVENT_RATE_CONN: '0', INFERNET_RELAY_EVENT_RATE_IP: '0' },
    coordinatorEnv: { INFERNET_COORDINATOR_ACCEPT_TIMEOUT_MS: '30000' },
    nodes: ['a', 'b', 'c'].map((name) => ({ name, reply, args: ['--max-concurrency', '200', '--max-queue', '1000'] })),
  })
  try {
    const gw = net.coordinators[0]!.url
    await net.waitForIndexed(gw, 3)
    const messages: ChatMessage[] = [{ role: 'user', content: 'count to twenty' }]
    const viaPath = () => streamTtft(`${gw}/v1/chat/completions`, { model, messages, stream: true }, gatewayContent)
    const direct = () => streamTtft(`${net.nodes[0]!.backend.url}/api/chat`, { model, messages, stream: true }, ollamaContent)
    // Warm up both paths (connections, JIT, the gateway's first route).
    for (let i = 0; i < 20; i++) await Promise.all([viaPath(), direct()])
    console.log(`${'streams'.padEnd(8)} ${'path TTFT p50/p99'.padEnd(22)} ${'backend TTFT p50/p99'.padEnd(22)} ${'added p50/p99'.padEnd(20)} ${'path jobs/s (tok/s)'.padEnd(24)} ${'backend streams/s (tok/s)'.padEnd(26)} errors path/backend`)
    let pathChats = 0
    const chats = () => net.nodes.map((n) => n.backend.stats.chats)
    const selfCpuMs = () => {
      const u = process.cpuUsage()
      return (u.user + u.system) / 1000
    }
    const cpuNow = () => new Map([...net.processes().map((p) => [p.name, processCpuMs(p.pid)] as const), ['load generator + fake engines (this process)', selfCpuMs()]])
    const cpuRows: string[] = []
    for (const c of levels) {
      const self0 = selfCpuMs()
      const base = await level(c, direct)
      const selfBase = selfCpuMs() - self0
      const before = chats()
      const cpu0 = cpuNow()
      const path = await level(c, viaPath)
      const cpu1 = cpuNow()
      const us = (ms: number, n: number) => ((ms * 1000) / n).toFixed(0)
      cpuRows.push(`CPU at ${c} streams (${path.ok} jobs, ${path.ok * tokens} tokens), µs per job / per token:`)
      let total = 0
      for (const [name, after] of cpu1) {
        const spent = after - (cpu0.get(name) ?? after)
        total += spent
        const baseline = name.startsWith('load generator') ? `   (baseline, the same process on the backend alone: ${us(selfBase, base.ok)} / ${us(selfBase, base.ok * tokens)})` : ''
        cpuRows.push(`  ${name.padEnd(46)} ${us(spent, path.ok).padStart(7)} / ${us(spent, path.ok * tokens).padStart(5)}${baseline}`)
      }
      cpuRows.push(`  ${'all processes'.padEnd(46)} ${us(total, path.ok).padStart(7)} / ${us(total, path.ok * tokens).padStart(5)}`)
      pathChats += path.ok
      console.log(`  (gateway spread at ${c} streams: ${chats().map((x, i) => x - before[i]!).join(' / ')} jobs on the 3 nodes)`)
      const f = (x: number) => x.toFixed(1)
      const rate = (r: { ok: number; wallMs: number }) => `${((r.ok / r.wallMs) * 1000).toFixed(0)} (${((r.ok * tokens * 1000) / r.wallMs).toFixed(0)})`
      console.log(
        `${String(c).padEnd(8)} ${`${f(path.p50)}/${f(path.p99)} ms`.padEnd(22)} ${`${f(base.p50)}/${f(base.p99)} ms`.padEnd(22)} ${`${f(path.p50 - base.p50)}/${f(path.p99 - base.p99)} ms`.padEnd(20)} ${rate(path).padEnd(24)} ${rate(base).padEnd(26)} ${path.errors}/${base.errors}`,
      )
    }
    console.log(`${pathChats} jobs through the whole path`)
    for (const line of cpuRows) console.log(line)

    // Jobs/s the 3 nodes sustain without the gateway: SDK clients (client -> node direct), jobs spread over the
    // nodes by pinning round-robin, vs the same load pinned to one node.
    const sdkC = Number(process.env.BENCH_SDK_CONCURRENCY ?? 48)
    const sdkJobs = Number(process.env.BENCH_SDK_JOBS ?? 600)
    // Signing with libsecp256k1, as a server-side SDK user would (the test default is @noble, ~2 ms a signature).
    const signers = await Promise.all(Array.from({ length: 4 }, () => createFastSigner(generateSecretKey())))
    const clients = signers.map((signer) => net.client({ signer, acceptTimeoutMs: 30_000, firstTokenTimeoutMs: 60_000 }))
    for (const c of clients) await c.ready()
    const sdkRun = async (pins: string[]) => {
      let next = 0
      let ok = 0
      let errors = 0
      const t0 = performance.now()
      await Promise.all(
        Array.from({ length: sdkC }, async (_, w) => {
          while (next < sdkJobs) {
            const i = next++
            try {
              await clients[w % clients.length]!.complete({ model, messages, routing: { pin: pins[i % pins.length]! } })
              ok++
            } catch {
              errors++
            }
          }
        }),
      )
      return { ok, errors, perSecond: (ok / (performance.now() - t0)) * 1000 }
    }
    const one = await sdkRun([net.nodes[0]!.pubkey])
    const three = await sdkRun(net.nodes.map((n) => n.pubkey))
    console.log(`SDK jobs/s at ${sdkC} concurrent (${sdkJobs} jobs): 3 nodes ${three.perSecond.toFixed(0)} (errors ${three.errors})   baseline 1 node ${one.perSecond.toFixed(0)} (errors ${one.errors})`)
  } finally {
    await net.close()
  }
}

await main()
