// Ingest: signed events accepted per second (OK true received), ours vs the third-party relay, same run, 127.0.0.1,
// each relay a child process on a fresh SQLite file in a temp dir, with 1 and with 50 publishing connections.
//
// Strategy: BENCH_INGEST_EVENTS (default 50,000) events are pre-signed before timing with libsecp256k1 (WASM), over 50
// authors, each with a `t` tag. The same signed set is sent to each relay (each starts empty, so nothing is a
// duplicate). Each connection keeps a window of events in flight (1,000 for one connection, 100 each for 50) and the
// clock runs from the first send to the last OK. Ours runs with its rate limits off (INFERNET_RELAY_EVENT_RATE_*=0):
// the load comes from one IP. BENCH_ROUNDS (default 1) repeats the four runs alternately; figures are medians.
// Run: npm run bench -- relay/ingest   (BENCH_INGEST_EVENTS=10000 for a quick run)
import WebSocket from 'ws'
import type { Event as NostrEvent } from 'nostr-tools'
import { percentile, presign, printTable, startBenchRelay, tempDir, type RelayName, type Row } from './harness.ts'

const N = Number(process.env.BENCH_INGEST_EVENTS ?? 50_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1)

async function ingest(url: string, events: NostrEvent[], connections: number): Promise<{ perSecond: number; accepted: number; refused: number }> {
  const sockets = await Promise.all(
    Array.from({ length: connections }, () => new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url)
      ws.once('open', () => resolve(ws))
      ws.once('error', reject)
    })),
  )
  const window = connections === 1 ? 1000 : 100
  const slices = sockets.map((_, c) => events.filter((_, i) => i % connections === c).map((e) => JSON.stringify(['EVENT', e])))
  let accepted = 0
  let refused = 0
  const start = performance.now()
  await Promise.all(
    sockets.map(
      (ws, c) =>
        new Promise<void>((resolve) => {
          const queue = slices[c]!
          let sent = 0
          let answered = 0
          const pump = () => {
            while (sent < queue.length && sent - answered < window) ws.send(queue[sent++]!)
          }
          ws.on('message', (data) => {
            const m = JSON.parse(data.toString()) as unknown[]
            if (m[0] !== 'OK') return
            if (m[2] === true) accepted++
            else refused++
            answered++
            if (answered === queue.length) resolve()
            else pump()
          })
          pump()
        }),
    ),
  )
  const ms = performance.now() - start
  for (const ws of sockets) ws.close()
  return { perSecond: (accepted / ms) * 1000, accepted, refused }
}

console.log(`pre-signing ${N} events (libsecp256k1 WASM)…`)
const t0 = performance.now()
const events = await presign(N)
console.log(`signed in ${((performance.now() - t0) / 1000).toFixed(1)} s`)

// Rounds alternate ours / third-party so that load drift on a shared machine hits both; medians are reported.
const samples: Record<string, Record<RelayName, number[]>> = {}
for (let round = 0; round < ROUNDS; round++) {
  for (const connections of [1, 50]) {
    for (const name of ['ours', 'third-party'] as const) {
      const tmp = tempDir('relay-ingest-')
      const relay = await startBenchRelay(name, `${tmp.dir}/relay.db`)
      try {
        const r = await ingest(relay.url, events, connections)
        if (r.accepted !== N) console.warn(`${name} with ${connections} connection(s): ${r.accepted} accepted, ${r.refused} refused of ${N}`)
        ;((samples[connections] ??= { ours: [], 'third-party': [] })[name]).push(r.perSecond)
      } finally {
        await relay.stop()
        tmp.cleanup()
      }
    }
  }
}
const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50)
const results: Record<string, Record<RelayName, number>> = Object.fromEntries(
  Object.entries(samples).map(([c, s]) => [c, { ours: median(s.ours), 'third-party': median(s['third-party']) }]),
)

const rows: Row[] = [1, 50].map((c) => ({
  metric: `ingest, ${c} connection${c === 1 ? '' : 's'}`,
  ours: results[c]!.ours,
  thirdParty: results[c]!['third-party'],
  unit: 'events/s',
  higherIsBetter: true,
  target: '>= 3x third-party',
}))
printTable(`Relay ingest (${N} pre-signed events, SQLite on disk, 127.0.0.1; median of ${ROUNDS} round(s))`, rows)
