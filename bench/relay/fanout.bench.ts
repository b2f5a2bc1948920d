// Fan-out: EVENT -> delivery latency to BENCH_SUBSCRIPTIONS (default 1,000) live subscriptions, one per connection,
// all matching, ours vs the third-party relay in the same run (child processes, fresh SQLite files, 127.0.0.1).
//
// Latency: BENCH_FANOUT_EVENTS (default 50) events are sent one at a time; each is timed from its send to its
// arrival on every subscription (one clock, this process), and the next is sent once all have arrived. p50 and
// p99 are over all (event, subscription) pairs. Throughput: BENCH_FANOUT_BURST (default 20) events sent at once;
// deliveries per second until every subscription has all of them. Events are pre-signed before timing.
// The load generator is one Node process holding all subscriber sockets, so its own event loop is part of the
// measured latency, equally for both relays.
// Run: npm run bench -- relay/fanout   (BENCH_SUBSCRIPTIONS=200 for a quick run)
import WebSocket from 'ws'
import { percentile, presign, printTable, startBenchRelay, tempDir, type RelayName, type Row } from './harness.ts'

const S = Number(process.env.BENCH_SUBSCRIPTIONS ?? 1000)
const M = Number(process.env.BENCH_FANOUT_EVENTS ?? 50)
const B = Number(process.env.BENCH_FANOUT_BURST ?? 20)

const open = (url: string) =>
  new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })

type FanoutResult = { p50: number; p99: number; deliveriesPerSecond: number; missing: number }

async function fanout(url: string, events: string[], burst: string[]): Promise<FanoutResult> {
  const subscribers: WebSocket[] = []
  for (let i = 0; i < S; i += 100) subscribers.push(...(await Promise.all(Array.from({ length: Math.min(100, S - i) }, () => open(url)))))
  let onDelivery: (() => void) | undefined
  let eoses = 0
  let eosesDone: () => void = () => {}
  const allEose = new Promise<void>((resolve) => (eosesDone = resolve))
  for (const ws of subscribers) {
    ws.on('message', (data) => {
      const s = data.toString()
      if (s.startsWith('["EVENT"')) onDelivery?.()
      else if (s.startsWith('["EOSE"') && ++eoses === S) eosesDone()
    })
    ws.send(JSON.stringify(['REQ', 'fan', { kinds: [1], '#t': ['fanout'] }]))
  }
  await allEose
  const publisher = await open(url)
  publisher.on('message', () => {})

  const waitFor = (expected: number, onEach: () => void, timeoutMs = 30_000) =>
    new Promise<number>((resolve) => {
      let got = 0
      const timer = setTimeout(() => {
        onDelivery = undefined
        resolve(got)
      }, timeoutMs)
      onDelivery = () => {
        onEach()
        if (++got === expected) {
          clearTimeout(timer)
          onDelivery = undefined
          resolve(got)
        }
      }
    })

  const latencies: number[] = []
  let missing = 0
  for (const message of events) {
    let sentAt = 0
    const done = waitFor(S, () => latencies.push(performance.now() - sentAt))
    sentAt = performance.now()
    publisher.send(message)
    missing += S - (await done)
  }
  const start = performance.now()
  const done = waitFor(S * burst.length, () => {})
  for (const message of burst) publisher.send(message)
  const delivered = await done
  const seconds = (performance.now() - start) / 1000
  missing += S * burst.length - delivered
  for (const ws of [...subscribers, publisher]) ws.terminate()
  latencies.sort((a, b) => a - b)
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), deliveriesPerSecond: delivered / seconds, missing }
}

const signed = await presign(M + B, { tags: () => [['t', 'fanout']] })
const events = signed.slice(0, M).map((e) => JSON.stringify(['EVENT', e]))
const burst = signed.slice(M).map((e) => JSON.stringify(['EVENT', e]))

const results = {} as Record<RelayName, FanoutResult>
for (const name of ['ours', 'third-party'] as const) {
  const tmp = tempDir('relay-fanout-')
  const relay = await startBenchRelay(name, `${tmp.dir}/relay.db`)
  try {
    results[name] = await fanout(relay.url, events, burst)
    if (results[name].missing) console.warn(`${name}: ${results[name].missing} deliveries missing`)
  } finally {
    await relay.stop()
    tmp.cleanup()
  }
}

const rows: Row[] = [
  { metric: `fan-out p50, ${S} subs`, ours: results.ours.p50, thirdParty: results['third-party'].p50, unit: 'ms', higherIsBetter: false, target: '-' },
  { metric: `fan-out p99, ${S} subs`, ours: results.ours.p99, thirdParty: results['third-party'].p99, unit: 'ms', higherIsBetter: false, target: 'ours < 20 ms' },
  {
    metric: `fan-out throughput, burst of ${B}`,
    ours: results.ours.deliveriesPerSecond,
    thirdParty: results['third-party'].deliveriesPerSecond,
    unit: 'deliveries/s',
    higherIsBetter: true,
    target: '>= 3x third-party',
  },
]
printTable(`Relay fan-out (${S} live subscriptions, ${M} events one at a time, then ${B} at once)`, rows)
