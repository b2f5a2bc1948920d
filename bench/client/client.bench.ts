// Client SDK figures, each beside a baseline measured in the same run, all on 127.0.0.1:
// Relay and node daemons run as child processes; the client and the fake backends run in this process.
// 1. Time to first token: through the SDK (sign + NIP-44 encrypt the job, WebSocket to a real node daemon, node
//    validates/decrypts, calls its Ollama fake, encrypts the delta, client decrypts) vs the same fake backend
//    asked directly over HTTP (POST /api/chat, time to the first NDJSON record). Sequential, BENCH_CLIENT_TTFT
//    requests (default 50) each; p50 and p90.
// 2. Jobs per second one client sustains with 1-token jobs (signing, encryption, auth, result verification
//    included): BENCH_CLIENT_JOBS jobs (default 400), BENCH_CLIENT_CONCURRENCY in flight (default 16), against
//    one node (maxConcurrency 64) vs the same number of 1-token requests straight to the fake backend.
// Run: npm run bench -- client   (BENCH_CLIENT_JOBS=100 BENCH_CLIENT_TTFT=20 for a quick run)
import { performance } from 'node:perf_hooks'
import { createTestClient, waitForLive } from '../../test/helpers/client.ts'
import { startFakeOllama } from '../../test/helpers/fakeBackends/ollama.ts'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnNodeProcess } from '../../test/helpers/node.ts'
import { spawnRelayProcess } from '../../test/helpers/relay.ts'

const T = Number(process.env.BENCH_CLIENT_TTFT ?? 50)
const J = Number(process.env.BENCH_CLIENT_JOBS ?? 400)
const C = Number(process.env.BENCH_CLIENT_CONCURRENCY ?? 16)

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!
const ms = (x: number) => `${x.toFixed(2)} ms`

async function directFirstRecord(url: string, body: string): Promise<{ ttft: number }> {
  const t0 = performance.now()
  const res = await fetch(`${url}/api/chat`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
  const reader = res.body!.getReader()
  await reader.read()
  const ttft = performance.now() - t0
  while (!(await reader.read()).done) {
    // drain
  }
  return { ttft }
}

async function pool(n: number, concurrency: number, job: (i: number) => Promise<void>): Promise<number> {
  let next = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await job(next++)
    }),
  )
  return (performance.now() - t0) / 1000
}

// Relay and nodes run as their own processes (as in production), so this process's CPU is the client's.
const dir = mkdtempSync(join(tmpdir(), 'infernet-bench-client-'))
const relay = await spawnRelayProcess({ dbPath: join(dir, 'relay.db') })
const longFake = await startFakeOllama({ models: ['llama3'] })
const oneFake = await startFakeOllama({ models: ['tiny'], reply: 'ok' })
const nodeArgs = ['--max-concurrency', '64', '--max-queue', '256', '--price', '0,0']
const nodeA = await spawnNodeProcess({ relays: [relay.url], backendUrl: longFake.url, backendKind: 'ollama', home: join(dir, 'a'), args: nodeArgs })
const nodeB = await spawnNodeProcess({ relays: [relay.url], backendUrl: oneFake.url, backendKind: 'ollama', home: join(dir, 'b'), args: nodeArgs })
const client = createTestClient({ relays: [relay.url] })
await waitForLive(client, [nodeA.pubkey, nodeB.pubkey], { timeoutMs: 30_000 })
const messages = [{ role: 'user' as const, content: 'Say something.' }]

// Warm-up (JIT, connections).
for (let i = 0; i < 5; i++) {
  await client.complete({ model: 'llama3', messages })
  await directFirstRecord(longFake.url, JSON.stringify({ model: 'llama3', messages, stream: true }))
}

const sdkTtft: number[] = []
const directTtft: number[] = []
for (let i = 0; i < T; i++) {
  const t0 = performance.now()
  const stream = client.chat({ model: 'llama3', messages })
  let first = 0
  for await (const _ of stream) if (!first) first = performance.now() - t0
  await stream.result
  sdkTtft.push(first)
  directTtft.push((await directFirstRecord(longFake.url, JSON.stringify({ model: 'llama3', messages, stream: true }))).ttft)
}

const cpu0 = process.cpuUsage()
const sdkSeconds = await pool(J, C, async () => {
  await client.complete({ model: 'tiny', messages })
})
const cpu = process.cpuUsage(cpu0)
const clientCpuMsPerJob = (cpu.user + cpu.system) / 1000 / J
const directSeconds = await pool(J, C, async (i) => {
  const res = await fetch(`${oneFake.url}/api/chat`, { method: 'POST', body: JSON.stringify({ model: 'tiny', messages, stream: true, seed: i }), headers: { 'content-type': 'application/json' } })
  await res.text()
})

console.log(`time to first token, ${T} sequential requests (fake backend ttft 0):`)
console.log(`  ${'path'.padEnd(36)} ${'p50'.padStart(10)} ${'p90'.padStart(10)}`)
console.log(`  ${'SDK -> node daemon (WS) -> fake'.padEnd(36)} ${ms(pct(sdkTtft, 50)).padStart(10)} ${ms(pct(sdkTtft, 90)).padStart(10)}`)
console.log(`  ${'fake backend directly (baseline)'.padEnd(36)} ${ms(pct(directTtft, 50)).padStart(10)} ${ms(pct(directTtft, 90)).padStart(10)}`)
console.log(`1-token jobs, ${J} jobs, ${C} in flight:`)
console.log(`  ${'SDK -> node daemon (WS) -> fake'.padEnd(36)} ${(J / sdkSeconds).toFixed(0).padStart(8)} jobs/s`)
console.log(`  ${'fake backend directly (baseline)'.padEnd(36)} ${(J / directSeconds).toFixed(0).padStart(8)} req/s`)
console.log(`  client process CPU per SDK job: ${clientCpuMsPerJob.toFixed(2)} ms (includes the fake backends in this process)`)

await client.close()
await nodeA.stop()
await nodeB.stop()
await longFake.close()
await oneFake.close()
await relay.stop()
rmSync(dir, { recursive: true, force: true })
