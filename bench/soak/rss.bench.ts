// Soak: memory stays flat under sustained load in the coordinator (gateway), the relay and the node (issue 15,
// item 5: the coordinator kept ~23 KB per gateway request). A relay, a node agent (fake Ollama backend, in its own
// process) and a coordinator run as child processes, each preloaded with bench/soak/memoryProbe.mjs (forced GC,
// then memory on SIGUSR2). BENCH_SOAK_WARMUP requests warm every cache and pool, then each process is measured,
// BENCH_SOAK_REQUESTS more go through the gateway (BENCH_SOAK_CONCURRENCY at a time, streaming and not, so each also
// crosses the node and, as result and status events, the relay), and each is measured again. Baseline: its own
// figure before the load. Check: heap growth at most max(8 MiB, BENCH_SOAK_HEAP_BYTES_PER_REQUEST (2048) × N) and
// RSS growth at most max(32 MiB, BENCH_SOAK_RSS_BYTES_PER_REQUEST (8192) × N); the leak grew ~23 KB per request.
// Exits non-zero when a process fails the check or more than 1% of requests fail.
// Run: npm run bench -- soak   (BENCH_SOAK_REQUESTS=500 for a quick run)
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startChild, type ManagedChild } from '../../src/app/up/childProcess.ts'

const N = Number(process.env.BENCH_SOAK_REQUESTS ?? 3000)
const C = Number(process.env.BENCH_SOAK_CONCURRENCY ?? 8)
const warmup = Number(process.env.BENCH_SOAK_WARMUP ?? 400)
const heapPerRequest = Number(process.env.BENCH_SOAK_HEAP_BYTES_PER_REQUEST ?? 2048)
const rssPerRequest = Number(process.env.BENCH_SOAK_RSS_BYTES_PER_REQUEST ?? 8192)
const MiB = 1024 * 1024
const heapBound = Math.max(8 * MiB, heapPerRequest * N)
const rssBound = Math.max(32 * MiB, rssPerRequest * N)

type Memory = { rss: number; heapUsed: number; external: number; arrayBuffers: number; gc: boolean }
type Probed = { name: string; managed: ManagedChild; next: ((m: Memory) => void)[] }

const probeEnv = { NODE_OPTIONS: `--expose-gc --import=${new URL('./memoryProbe.mjs', import.meta.url).href}` }

/** Starts `infernet <args>` with the memory probe; its probe lines resolve `measure`. */
async function startProbed(name: string, args: string[], env: Record<string, string>): Promise<Probed> {
  const probed: Probed = { name, managed: undefined as unknown as ManagedChild, next: [] }
  probed.managed = await startChild({
    name,
    args,
    env: { ...env, ...probeEnv },
    timeoutMs: 60_000,
    onLog: (line) => {
      const at = line.indexOf('{"memoryProbe":')
      if (at < 0) return void (/error|warn/i.test(line) && console.error(line))
      probed.next.shift()?.((JSON.parse(line.slice(at)) as { memoryProbe: Memory }).memoryProbe)
    },
  })
  return probed
}

function measure(p: Probed): Promise<Memory> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${p.name}: no memory probe answer within 30 s`)), 30_000)
    p.next.push((m) => {
      clearTimeout(timer)
      resolve(m)
    })
    p.managed.child.kill('SIGUSR2')
  })
}

/** A fake Ollama in its own process (bench/node/fakeOllamaProcess.ts): 24 tokens, as fast as it can. */
async function startFakeBackend(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../node/fakeOllamaProcess.ts', import.meta.url)), '24', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /\{"url":"([^"]+)"\}/.exec(out)
      if (m) resolve(m[1]!)
    })
    child.once('exit', (code) => reject(new Error(`fake backend exited with ${code}`)))
  })
  return { url, child }
}

async function drive(gateway: string, count: number): Promise<{ ok: number; failed: number; seconds: number; firstError: string | undefined }> {
  let next = 0
  let ok = 0
  let failed = 0
  let firstError: string | undefined
  const t0 = performance.now()
  const worker = async () => {
    while (next < count) {
      const i = next++
      try {
        const res = await fetch(`${gateway}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer sk-soak-bench-key' },
          body: JSON.stringify({ model: 'llama3', stream: i % 2 === 1, max_tokens: 64, messages: [{ role: 'user', content: `soak request ${i} ${'x'.repeat(i % 512)}` }] }),
        })
        const text = await res.text()
        if (res.ok && (i % 2 === 0 ? text.includes('"content":"t0') : text.includes('[DONE]'))) ok++
        else {
          failed++
          firstError ??= `${res.status} ${text.slice(0, 200)}`
        }
      } catch (err) {
        failed++
        firstError ??= (err as Error).message
      }
    }
  }
  await Promise.all(Array.from({ length: C }, worker))
  return { ok, failed, seconds: (performance.now() - t0) / 1000, firstError }
}

const mb = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`
const signed = (bytes: number) => `${bytes >= 0 ? '+' : ''}${mb(bytes)}`

const dir = mkdtempSync(join(tmpdir(), 'infernet-soak-'))
const started: { stop(): Promise<void> | void }[] = []
let exitCode = 0
try {
  console.log(`soak: ${warmup} warm-up + ${N} gateway requests, ${C} at a time; ${availableParallelism()} CPUs, load ${loadavg()[0]!.toFixed(2)}`)
  const backend = await startFakeBackend()
  started.push({ stop: () => void backend.child.kill('SIGTERM') })
  const relay = await startProbed('relay', ['relay', '--host', '127.0.0.1', '--port', '0', '--db', join(dir, 'relay.sqlite')], { INFERNET_RELAY_LOG_LEVEL: 'warn' })
  started.push({ stop: () => relay.managed.stop() })
  const node = await startProbed(
    'node',
    ['start', '--home', join(dir, 'node'), '--port', '0', '--backend', 'ollama', '--backend-url', backend.url, '--relay', relay.managed.ready.url, '--max-concurrency', '32', '--max-queue', '64'],
    { INFERNET_LOG_LEVEL: 'warn' },
  )
  started.push({ stop: () => node.managed.stop() })
  const coordinator = await startProbed(
    'coordinator',
    ['coordinator', '--home', join(dir, 'coordinator'), '--host', '127.0.0.1', '--port', '0', '--db', join(dir, 'coordinator.db'), '--relay', relay.managed.ready.url, '--api-key', 'sk-soak-bench-key'],
    { INFERNET_COORDINATOR_LOG_LEVEL: 'warn' },
  )
  started.push({ stop: () => coordinator.managed.stop() })
  const gateway = coordinator.managed.ready.url
  for (let i = 0; ; i++) {
    const res = await fetch(`${gateway}/v1/models`, { headers: { authorization: 'Bearer sk-soak-bench-key' } })
    if ((await res.text()).includes('"llama3"')) break
    if (i > 600) throw new Error('the node never reached the coordinator market')
    await new Promise((r) => setTimeout(r, 50))
  }
  const processes = [coordinator, relay, node]
  const warm = await drive(gateway, warmup)
  const before = await Promise.all(processes.map(measure))
  if (!before.every((m) => m.gc)) throw new Error('global.gc is missing in a child: --expose-gc did not reach it')
  const load = await drive(gateway, N)
  const after = await Promise.all(processes.map(measure))
  console.log(`requests: ${load.ok} ok, ${load.failed} failed (warm-up ${warm.ok} ok, ${warm.failed} failed), ${(N / load.seconds).toFixed(1)} req/s${load.firstError ? `; first failure: ${load.firstError}` : ''}`)
  console.log(`bounds: heap growth <= ${mb(heapBound)}, RSS growth <= ${mb(rssBound)} (after forced GC)`)
  console.log(`${'process'.padEnd(12)} ${'RSS before'.padEnd(12)} ${'RSS after'.padEnd(12)} ${'RSS growth'.padEnd(12)} ${'heap before'.padEnd(12)} ${'heap after'.padEnd(12)} ${'heap growth'.padEnd(12)} ${'per request'.padEnd(12)} check`)
  processes.forEach((p, i) => {
    const b = before[i]!
    const a = after[i]!
    const heapGrowth = a.heapUsed - b.heapUsed
    const rssGrowth = a.rss - b.rss
    const pass = heapGrowth <= heapBound && rssGrowth <= rssBound
    if (!pass) exitCode = 1
    const perRequest = `${(heapGrowth / N).toFixed(0)} B heap`
    console.log(
      `${p.name.padEnd(12)} ${mb(b.rss).padEnd(12)} ${mb(a.rss).padEnd(12)} ${signed(rssGrowth).padEnd(12)} ${mb(b.heapUsed).padEnd(12)} ${mb(a.heapUsed).padEnd(12)} ${signed(heapGrowth).padEnd(12)} ${perRequest.padEnd(12)} ${pass ? 'pass' : 'FAIL'}`,
    )
  })
  if (load.failed > N / 100) {
    console.log(`FAIL: ${load.failed} of ${N} requests failed (at most 1% may)`)
    exitCode = 1
  }
} catch (err) {
  console.error(`soak failed: ${(err as Error).message}`)
  exitCode = 1
} finally {
  for (const s of started.reverse()) await s.stop()
  rmSync(dir, { recursive: true, force: true })
}
process.exit(exitCode)
