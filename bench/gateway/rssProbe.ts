// Child process of gateway.bench.ts: indexes the signed events in argv[2] (JSON array) into a fresh coordinator
// index (SQLite cache + in-memory market) and prints {"before":rss,"after":rss,"heap":heapUsed,"nodes":n} as JSON.
// Run alone so the load generator's own memory (signing, event arrays) is not counted.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openCoordinatorDb } from '../../src/coordinator/db.ts'
import { createIndexer } from '../../src/coordinator/indexer.ts'
import { MarketIndex } from '../../src/coordinator/marketIndex.ts'

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
const dir = mkdtempSync(join(tmpdir(), 'infernet-rss-'))
const db = openCoordinatorDb(join(dir, 'c.db'))
const market = new MarketIndex()
const indexer = createIndexer({ db, market, flushMs: 1_000_000 })
await indexer.start()
gc()
const before = process.memoryUsage().rss
let events = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as unknown[]
for (let i = 0; i < events.length; i++) {
  indexer.ingest(events[i])
  if (i % 1000 === 999) indexer.flush()
}
indexer.flush()
events = []
// One routing index per policy for the biggest model, as a busy coordinator would hold.
for (const policy of ['balanced', 'cheapest', 'fastest', 'reliable'] as const) market.route({ model: 'model-0', policy }, { now: Math.floor(Date.now() / 1000), limit: 4 })
gc()
await new Promise((r) => setTimeout(r, 200))
gc()
const m = process.memoryUsage()
console.log(JSON.stringify({ before, after: m.rss, heap: m.heapUsed, external: m.external, nodes: market.nodes.size }))
indexer.close()
db.close()
rmSync(dir, { recursive: true, force: true })
