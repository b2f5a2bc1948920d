// Fan-out: EVENT -> delivery latency to BENCH_SUBSCRIPTIONS (default 1,000) live subscriptions, one per connection,
// all matching, ours vs the third-party relay in the same run (child processes, fresh SQLite files, 127.0.0.1).
//
// Latency: BENCH_FANOUT_EVENTS (default 50) kind-1 events, then as many ephemeral kind-20001 events (no storage on
// the path: the difference shows what the write costs before delivery), are sent one at a time after 10 unmeasured
// warm-up events; each is timed from its send to its
// arrival on every subscription (one clock, this process), and the next is sent once all have arrived. p50 and
// p99 are over all (event, subscription) pairs. Throughput: BENCH_FANOUT_BURST (default 20) events sent at once;
// deliveries per second until every subscription has all of them. Events are pre-signed before timing.
// BENCH_ROUNDS (default 3) rounds alternate the two relays; each figure is the median over rounds.
// The load generator is one Node process holding all subscriber sockets, so its own event loop is part of the
// measured latency, equally for both relays; the "harness floor" line measures that part alone, against a server
// that only forwards bytes (floorRelayProcess.ts).
// Run: npm run bench -- relay/fanout   (BENCH_SUBSCRIPTIONS=200 for a quick run)
import WebSocket from 'ws'
import { percentile, presign, printTable, startBenchRelay, tempDir, type RelayName, type Row } from './harness.ts'

const S = Number(process.env.BENCH_SUBSCRIPTIONS ?? 1000)
const M = Number(process.env.BENCH_FANOUT_EVENTS ?? 50)
const B = Number(process.env.BENCH_FANOUT_BURST ?? 20)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)

const open = (url: string) =>
  new Promise<WebSocket>((resolve, reject) => {
    // Keep the load generator cheap: no compression offer, no UTF-8 validation (we only look at the first bytes).
    const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })

type FanoutResult = { p50: number; p99: number; ephemeralP50: number; ephemeralP99: number; deliveriesPerSecond: number; missing: number }

async function fanout(url: string, warmup: string[], events: string[], ephemeral: string[], burst: string[]): Promise<FanoutResult> {
  const subscribers: WebSocket[] = []
  for (let i = 0; i < S; i += 100) subscribers.push(...(await Promise.all(Array.from({ length: Math.min(100, S - i) }, () => open(url)))))
  let onDelivery: (() => void) | undefined
  let eoses = 0
  let eosesDone: () => void = () => {}
  const allEose = new Promise<void>((resolve) => (eosesDone = resolve))
  for (const ws of subscribers) {
    ws.on('message', (data: Buffer) => {
      // '["EVENT"' vs '["EOSE"': the 4th byte tells them apart without decoding the message.
      if (data[3] === 0x56) onDelivery?.()
      else if (data[3] === 0x4f && ++eoses === S) eosesDone()
    })
    ws.send(JSON.stringify(['REQ', 'fan', { kinds: [1, 20001], '#t': ['fanout'] }]))
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

  let missing = 0
  const oneAtATime = async (messages: string[]) => {
    const latencies: number[] = []
    for (const message of messages) {
      let sentAt = 0
      const done = waitFor(S, () => latencies.push(performance.now() - sentAt))
      sentAt = performance.now()
      publisher.send(message)
      missing += S - (await done)
    }
    return latencies.sort((a, b) => a - b)
  }
  // Warm-up (not measured): the first events of each kind run through cold code paths (JIT) in both relays.
  await oneAtATime(warmup)
  const latencies = await oneAtATime(events)
  const ephemeralLatencies = await oneAtATime(ephemeral)
  const start = performance.now()
  const done = waitFor(S * burst.length, () => {})
  for (const message of burst) publisher.send(message)
  const delivered = await done
  const seconds = (performance.now() - start) / 1000
  missing += S * burst.length - delivered
  for (const ws of [...subscribers, publisher]) ws.terminate()
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    ephemeralP50: percentile(ephemeralLatencies, 50),
    ephemeralP99: percentile(ephemeralLatencies, 99),
    deliveriesPerSecond: delivered / seconds,
    missing,
  }
}

const signed = await presign(M + B, { tags: () => [['t', 'fanout']] })
const events = signed.slice(0, M).map((e) => JSON.stringify(['EVENT', e]))
const burst = signed.slice(M).map((e) => JSON.stringify(['EVENT', e]))
const ephemeral = (await presign(M, { kind: 20001, tags: () => [['t', 'fanout']] })).map((e) => JSON.stringify(['EVENT', e]))
const warmup = [
  ...(await presign(5, { tags: () => [['t', 'fanout']] })),
  ...(await presign(5, { kind: 20001, tags: () => [['t', 'fanout']] })),
].map((e) => JSON.stringify(['EVENT', e]))

// Rounds alternate ours / third-party so that load drift on a shared machine hits both; medians are reported.
const rounds: Record<RelayName | 'floor', FanoutResult[]> = { ours: [], 'third-party': [], floor: [] }
for (let round = 0; round < ROUNDS; round++) {
  for (const name of ['ours', 'third-party', 'floor'] as const) {
    const tmp = tempDir('relay-fanout-')
    const relay = await startBenchRelay(name, `${tmp.dir}/relay.db`)
    try {
      const r = await fanout(relay.url, warmup, events, ephemeral, burst)
      if (r.missing) console.warn(`${name}: ${r.missing} deliveries missing`)
      rounds[name].push(r)
    } finally {
      await relay.stop()
      tmp.cleanup()
    }
  }
}
const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50)
const summarize = (rs: FanoutResult[]): FanoutResult => ({
  p50: median(rs.map((r) => r.p50)),
  p99: median(rs.map((r) => r.p99)),
  ephemeralP50: median(rs.map((r) => r.ephemeralP50)),
  ephemeralP99: median(rs.map((r) => r.ephemeralP99)),
  deliveriesPerSecond: median(rs.map((r) => r.deliveriesPerSecond)),
  missing: rs.reduce((n, r) => n + r.missing, 0),
})
const results: Record<RelayName | 'floor', FanoutResult> = {
  ours: summarize(rounds.ours),
  'third-party': summarize(rounds['third-party']),
  floor: summarize(rounds.floor),
}

const rows: Row[] = [
  { metric: `fan-out p50, ${S} subs`, ours: results.ours.p50, thirdParty: results['third-party'].p50, unit: 'ms', higherIsBetter: false, target: '-' },
  { metric: `fan-out p99, ${S} subs`, ours: results.ours.p99, thirdParty: results['third-party'].p99, unit: 'ms', higherIsBetter: false, target: 'ours < 20 ms' },
  { metric: `ephemeral fan-out p50, ${S} subs`, ours: results.ours.ephemeralP50, thirdParty: results['third-party'].ephemeralP50, unit: 'ms', higherIsBetter: false, target: '-' },
  { metric: `ephemeral fan-out p99, ${S} subs`, ours: results.ours.ephemeralP99, thirdParty: results['third-party'].ephemeralP99, unit: 'ms', higherIsBetter: false, target: '-' },
  {
    metric: `fan-out throughput, burst of ${B}`,
    ours: results.ours.deliveriesPerSecond,
    thirdParty: results['third-party'].deliveriesPerSecond,
    unit: 'deliveries/s',
    higherIsBetter: true,
    target: '>= 3x third-party',
  },
]
console.log(
  `\nharness floor (floorRelayProcess.ts: forwards each EVENT to every socket, no parsing, no checks): ` +
    `p50 ${results.floor.p50.toFixed(2)} ms (ephemeral ${results.floor.ephemeralP50.toFixed(2)} ms), p99 ${results.floor.p99.toFixed(2)} ms, ${results.floor.deliveriesPerSecond.toFixed(0)} deliveries/s`,
)
printTable(`Relay fan-out (${S} live subscriptions, ${M} events one at a time, then ${B} at once; median of ${ROUNDS} rounds)`, rows)
