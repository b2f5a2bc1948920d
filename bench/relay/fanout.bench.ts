// Fan-out: EVENT -> delivery latency to BENCH_SUBSCRIPTIONS (default 1,000) live subscriptions, one per connection,
// all matching, ours vs the third-party relay in the same run (child processes, fresh SQLite files, 127.0.0.1).
//
// Load generator: the subscriber sockets are split over BENCH_CLIENT_PROCS forked processes
// (fanoutSubscriberProcess.ts), each opening its share, subscribing, and reporting the arrival time of every EVENT
// it receives over IPC; this process only publishes. The default is one process per core left after the relay's
// (1 to 4): on a 2-core machine, in alternating runs, the floor p99 was 11.5-14 ms with 1 process, 14-19 ms with 2,
// and worse with 3-4, since there extra processes only take CPU from the relay under test; with more cores they
// spread the receiving.
//
// Latency: BENCH_FANOUT_EVENTS (default 50) kind-1 events, then as many ephemeral kind-20001 events (no storage on
// the path: the difference shows what the write costs before delivery), are sent one at a time after 10 unmeasured
// warm-up events; each is timed from just before its send to its arrival on every subscription (CLOCK_MONOTONIC in
// every process, see monotonicClock.ts), and the next is sent once all have arrived. p50 and p99 are over all
// (event, subscription) pairs. Throughput: BENCH_FANOUT_BURST (default 200) events sent at once; deliveries per
// second from the first send until every subscription has all of them. Events are pre-signed before timing.
// Relay CPU per delivery: the relay process's CPU time (/proc, all threads) over the measured kind-1 events and over
// the burst, divided by the deliveries: what a delivery costs the relay, whether or not the harness keeps up.
// BENCH_ROUNDS (default 3) rounds alternate the relays; each figure is the median over rounds.
// The subscriber processes' event loops are still part of the measured latency, equally for every relay; the
// "harness floor" line measures that part plus one socket write per delivery, against a server that only forwards
// bytes through the relay's send path (floorRelayProcess.ts): what no single-process relay can go below.
// Run: npm run bench -- relay/fanout   (BENCH_SUBSCRIPTIONS=200 BENCH_ROUNDS=1 for a quick run)
import { fork, type ChildProcess } from 'node:child_process'
import { availableParallelism } from 'node:os'
import WebSocket from 'ws'
import type { FromSubscriber, ToSubscriber } from './fanoutSubscriberProcess.ts'
import { cpuMs, percentile, presign, printTable, startBenchRelay, tempDir, type RelayName, type Row } from './harness.ts'
import { monotonicMs } from './monotonicClock.ts'

const S = Number(process.env.BENCH_SUBSCRIPTIONS ?? 1000)
const M = Number(process.env.BENCH_FANOUT_EVENTS ?? 50)
const B = Number(process.env.BENCH_FANOUT_BURST ?? 200)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const PROCS = Math.max(1, Math.min(S, Number(process.env.BENCH_CLIENT_PROCS ?? Math.min(4, availableParallelism() - 1))))
const TIMEOUT_MS = 30_000
// A subset while iterating on one relay (e.g. BENCH_FANOUT_RELAYS=ours); figures of the others then read n/a.
const RELAYS = (process.env.BENCH_FANOUT_RELAYS ?? 'ours,third-party,floor').split(',') as (RelayName | 'floor')[]

type Subscriber = { count: number; send(m: ToSubscriber): void; next(): Promise<FromSubscriber>; exited: Promise<void> }

function forkSubscriber(count: number): Subscriber {
  const proc: ChildProcess = fork(new URL('./fanoutSubscriberProcess.ts', import.meta.url).pathname, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const inbox: FromSubscriber[] = []
  let waiter: { resolve(m: FromSubscriber): void; reject(e: Error): void } | undefined
  let gone: Error | undefined
  proc.on('message', (m: FromSubscriber) => {
    if (waiter) {
      const w = waiter
      waiter = undefined
      if (m.type === 'error') w.reject(new Error(m.message))
      else w.resolve(m)
    } else inbox.push(m)
  })
  const exited = new Promise<void>((resolve) =>
    proc.once('exit', (code) => {
      gone = new Error(`subscriber process exited with ${code}`)
      waiter?.reject(gone)
      waiter = undefined
      resolve()
    }),
  )
  return {
    count,
    send: (m) => proc.send(m),
    next: () => {
      const m = inbox.shift()
      if (m) return m.type === 'error' ? Promise.reject(new Error(m.message)) : Promise.resolve(m)
      if (gone) return Promise.reject(gone)
      return new Promise((resolve, reject) => (waiter = { resolve, reject }))
    },
    exited,
  }
}

const open = (url: string) =>
  new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })

type FanoutResult = {
  p50: number
  p99: number
  ephemeralP50: number
  ephemeralP99: number
  deliveriesPerSecond: number
  /** The relay process's CPU time over the burst per delivery: its cost whether or not the harness keeps up. */
  cpuUsPerDelivery: number
  cpuUsPerDeliveryOne: number
  missing: number
}

async function fanout({ url, pid }: { url: string; pid: number }, warmup: string[], events: string[], ephemeral: string[], burst: string[]): Promise<FanoutResult> {
  const subscribers = Array.from({ length: PROCS }, (_, i) => forkSubscriber(Math.floor((S * (i + 1)) / PROCS) - Math.floor((S * i) / PROCS)))
  const publisher = await open(url)
  try {
    const req = JSON.stringify(['REQ', 'fan', { kinds: [1, 20001], '#t': ['fanout'] }])
    for (const s of subscribers) s.send({ type: 'open', url, count: s.count, req })
    await Promise.all(subscribers.map((s) => s.next()))
    publisher.on('message', () => {})

    let missing = 0
    const gather = async (expected: (s: Subscriber) => number) => {
      const reports = await Promise.all(subscribers.map((s) => s.next()))
      let got = 0
      let last = 0
      const arrivals: number[] = []
      reports.forEach((r, i) => {
        if (r.type !== 'got') throw new Error(`unexpected ${r.type} from a subscriber process`)
        got += r.got
        missing += expected(subscribers[i]!) - r.got
        last = Math.max(last, r.last)
        if (r.times) arrivals.push(...r.times)
      })
      return { got, last, arrivals }
    }
    const oneAtATime = async (messages: string[]) => {
      const latencies: number[] = []
      for (const message of messages) {
        for (const s of subscribers) s.send({ type: 'expect', n: s.count, times: true, timeoutMs: TIMEOUT_MS })
        const sentAt = monotonicMs()
        publisher.send(message)
        const { arrivals } = await gather((s) => s.count)
        for (const t of arrivals) latencies.push(t - sentAt)
      }
      return latencies.sort((a, b) => a - b)
    }
    // Warm-up (not measured): the first events of each kind run through cold code paths (JIT) in every process.
    await oneAtATime(warmup)
    const cpuOneBefore = cpuMs(pid)
    const latencies = await oneAtATime(events)
    const cpuOne = cpuMs(pid) - cpuOneBefore
    const ephemeralLatencies = await oneAtATime(ephemeral)
    for (const s of subscribers) s.send({ type: 'expect', n: s.count * burst.length, times: false, timeoutMs: TIMEOUT_MS })
    const cpuBefore = cpuMs(pid)
    const start = monotonicMs()
    for (const message of burst) publisher.send(message)
    const { got, last } = await gather((s) => s.count * burst.length)
    const cpu = cpuMs(pid) - cpuBefore
    return {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      ephemeralP50: percentile(ephemeralLatencies, 50),
      ephemeralP99: percentile(ephemeralLatencies, 99),
      deliveriesPerSecond: got / ((last - start) / 1000),
      cpuUsPerDelivery: (cpu * 1000) / got,
      cpuUsPerDeliveryOne: (cpuOne * 1000) / (S * events.length),
      missing,
    }
  } finally {
    publisher.terminate()
    for (const s of subscribers) s.send({ type: 'close' })
    await Promise.all(subscribers.map((s) => s.exited))
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

// Rounds alternate ours / third-party / floor so that load drift on a shared machine hits all three; medians are reported.
const rounds: Record<RelayName | 'floor', FanoutResult[]> = { ours: [], 'third-party': [], floor: [] }
for (let round = 0; round < ROUNDS; round++) {
  for (const name of RELAYS) {
    const tmp = tempDir('relay-fanout-')
    const relay = await startBenchRelay(name, `${tmp.dir}/relay.db`)
    try {
      const r = await fanout(relay, warmup, events, ephemeral, burst)
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
  cpuUsPerDelivery: median(rs.map((r) => r.cpuUsPerDelivery)),
  cpuUsPerDeliveryOne: median(rs.map((r) => r.cpuUsPerDeliveryOne)),
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
  {
    metric: 'relay CPU per delivery, one at a time',
    ours: results.ours.cpuUsPerDeliveryOne,
    thirdParty: results['third-party'].cpuUsPerDeliveryOne,
    unit: 'µs',
    higherIsBetter: false,
    target: '-',
  },
  {
    metric: 'relay CPU per delivery, burst',
    ours: results.ours.cpuUsPerDelivery,
    thirdParty: results['third-party'].cpuUsPerDelivery,
    unit: 'µs',
    higherIsBetter: false,
    target: '-',
  },
]
console.log(
  `\nharness floor (floorRelayProcess.ts: forwards each EVENT to every socket through relay/socketSender.ts, no parsing, no checks): ` +
    `p50 ${results.floor.p50.toFixed(2)} ms (ephemeral ${results.floor.ephemeralP50.toFixed(2)} ms), p99 ${results.floor.p99.toFixed(2)} ms, ${results.floor.deliveriesPerSecond.toFixed(0)} deliveries/s, ` +
    `CPU per delivery ${results.floor.cpuUsPerDeliveryOne.toFixed(2)} µs one at a time, ${results.floor.cpuUsPerDelivery.toFixed(2)} µs in the burst`,
)
printTable(
  `Relay fan-out (${S} live subscriptions over ${PROCS} subscriber process${PROCS === 1 ? '' : 'es'}, ${M} events one at a time, then ${B} at once; median of ${ROUNDS} rounds)`,
  rows,
)
