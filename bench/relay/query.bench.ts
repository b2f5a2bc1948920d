// Stored-event queries and memory: REQ with a tag filter over N stored events (time to EOSE) and the relay's RSS with
// N stored events and 1,000 open connections; ours vs the third-party relay in the same run (child processes,
// SQLite on disk, 127.0.0.1).
//
// Seeding: N = BENCH_EVENTS (default 1,000,000) events are written straight into each relay's SQLite file before it
// starts: ours through its store API (relay/store/sqlite.ts `write`, 10k events per transaction), the third-party
// relay through its own migrations plus prepared INSERTs of exactly the rows its `upsert` writes. Seeded events have
// correct ids but a placeholder signature (signing 1M events takes minutes; neither relay verifies stored events on
// read). Event i carries t=topic-(i % 1000), so each topic matches N/1000 events, spread over the whole store.
// Queries: {"#t":[topic], "limit":500} and {"#t":[topic], "limit":10}, 3 warm-ups then BENCH_QUERIES (default 20)
// distinct topics each, one at a time on one connection; median and p90 of time to EOSE.
// RSS: /proc/<pid>/status VmRSS of the relay process after the queries, then with BENCH_CONNECTIONS (default 1,000)
// extra open connections, each holding one live subscription.
// Run: npm run bench -- relay/query   (BENCH_EVENTS=100000 for a quick run)
import WebSocket from 'ws'
import { percentile, printTable, rssMiB, seedOurs, seedThirdParty, startBenchRelay, tempDir, type RelayName, type Row } from './harness.ts'

const N = Number(process.env.BENCH_EVENTS ?? 1_000_000)
const Q = Number(process.env.BENCH_QUERIES ?? 20)
const C = Number(process.env.BENCH_CONNECTIONS ?? 1000)

const open = (url: string) =>
  new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })

/** Sends one REQ and resolves with [ms to EOSE, events received]. */
function timeReq(ws: WebSocket, subId: string, filter: object): Promise<[number, number]> {
  return new Promise((resolve) => {
    let events = 0
    const start = performance.now()
    const onMessage = (data: WebSocket.RawData) => {
      const s = data.toString()
      if (s.startsWith('["EVENT"')) events++
      else if (s.startsWith(`["EOSE","${subId}"`) || s.startsWith(`["CLOSED","${subId}"`)) {
        ws.off('message', onMessage)
        ws.send(JSON.stringify(['CLOSE', subId]))
        resolve([performance.now() - start, events])
      }
    }
    ws.on('message', onMessage)
    ws.send(JSON.stringify(['REQ', subId, filter]))
  })
}

type QueryResult = { limit500: number[]; limit10: number[]; got500: number; rssAfterQueries: number; rssWithConnections: number }

async function run(name: RelayName): Promise<QueryResult> {
  const tmp = tempDir('relay-query-')
  const dbPath = `${tmp.dir}/relay.db`
  const t0 = performance.now()
  if (name === 'ours') seedOurs(dbPath, N)
  else await seedThirdParty(dbPath, N)
  console.log(`${name}: seeded ${N} events in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  const relay = await startBenchRelay(name, dbPath)
  try {
    const ws = await open(relay.url)
    const limit500: number[] = []
    const limit10: number[] = []
    let got500 = 0
    for (let i = 0; i < 3; i++) await timeReq(ws, `warm${i}`, { '#t': [`topic-${900 + i}`], limit: 500 })
    for (let i = 0; i < Q; i++) {
      const [ms, got] = await timeReq(ws, `q${i}`, { '#t': [`topic-${i * 7}`], limit: 500 })
      limit500.push(ms)
      got500 = got
      limit10.push((await timeReq(ws, `r${i}`, { '#t': [`topic-${i * 7 + 3}`], limit: 10 }))[0])
    }
    const rssAfterQueries = rssMiB(relay.pid)
    const held: WebSocket[] = []
    for (let i = 0; i < C; i += 100) {
      const batch = await Promise.all(Array.from({ length: Math.min(100, C - i) }, () => open(relay.url)))
      for (const [j, c] of batch.entries()) {
        c.on('message', () => {})
        c.send(JSON.stringify(['REQ', 'live', { '#t': [`topic-${(i + j) % 1000}`], limit: 1 }]))
      }
      held.push(...batch)
    }
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const rssWithConnections = rssMiB(relay.pid)
    for (const c of [...held, ws]) c.terminate()
    return { limit500: limit500.sort((a, b) => a - b), limit10: limit10.sort((a, b) => a - b), got500, rssAfterQueries, rssWithConnections }
  } finally {
    await relay.stop()
    tmp.cleanup()
  }
}

const results = {} as Record<RelayName, QueryResult>
for (const name of ['ours', 'third-party'] as const) {
  results[name] = await run(name)
  console.log(`${name}: ${results[name].got500} events per limit-500 query`)
}
const o = results.ours
const t = results['third-party']
const rows: Row[] = [
  { metric: 'REQ #t limit 500, median', ours: percentile(o.limit500, 50), thirdParty: percentile(t.limit500, 50), unit: 'ms', higherIsBetter: false, target: '-' },
  { metric: 'REQ #t limit 500, p90', ours: percentile(o.limit500, 90), thirdParty: percentile(t.limit500, 90), unit: 'ms', higherIsBetter: false, target: '-' },
  { metric: 'REQ #t limit 10, median', ours: percentile(o.limit10, 50), thirdParty: percentile(t.limit10, 50), unit: 'ms', higherIsBetter: false, target: '-' },
  { metric: 'RSS after queries', ours: o.rssAfterQueries, thirdParty: t.rssAfterQueries, unit: 'MiB', higherIsBetter: false, target: '-' },
  { metric: `RSS + ${C} connections`, ours: o.rssWithConnections, thirdParty: t.rssWithConnections, unit: 'MiB', higherIsBetter: false, target: 'ours < 200 MB' },
]
printTable(`Relay queries and memory (${N} stored events, SQLite on disk, 127.0.0.1)`, rows)
