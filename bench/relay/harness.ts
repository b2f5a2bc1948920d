// Shared pieces of the relay benchmarks: both relays as child processes on 127.0.0.1 (so the load generator's CPU
// and memory are not counted), fast pre-signing, direct seeding of each relay's SQLite store, percentiles and the
// result table. See each *.bench.ts header for what it measures.
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Event as NostrEvent } from 'nostr-tools'
import { generateSecretKey } from 'nostr-tools/pure'
import * as wasm from 'nostr-tools/wasm'
import { initNostrWasm } from 'nostr-wasm'
import Database from 'better-sqlite3'
import { EventRepositorySqlite } from '@nostr-relay/event-repository-sqlite'
import { createSqliteStore } from '../../relay/store/sqlite.ts'
import { spawnRelayProcess } from '../../test/helpers/relay.ts'
import { spawnScriptProcess, thirdPartyRelayScript } from '../../test/helpers/scriptProcess.ts'

export type RelayName = 'ours' | 'third-party'
export type BenchRelay = { name: RelayName | 'floor'; url: string; pid: number; stop(): Promise<void> }

/** Ours with the per-connection/per-IP rate limits off: the benchmark is one IP sending as fast as it can. */
const oursEnv = {
  INFERNET_RELAY_EVENT_RATE_CONN: '0',
  INFERNET_RELAY_EVENT_RATE_IP: '0',
  INFERNET_RELAY_REQ_RATE_CONN: '0',
  INFERNET_RELAY_MAX_CONN_IP: '0',
  INFERNET_RELAY_LOG_LEVEL: 'warn',
}

export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export async function startBenchRelay(name: RelayName | 'floor', dbPath: string): Promise<BenchRelay> {
  if (name === 'ours') {
    const r = await spawnRelayProcess({ dbPath, env: oursEnv })
    return { name, url: r.url, pid: r.child.pid!, stop: () => r.stop('SIGTERM') }
  }
  const script = name === 'floor' ? new URL('./floorRelayProcess.ts', import.meta.url).pathname : thirdPartyRelayScript
  const p = await spawnScriptProcess(script, [dbPath])
  return { name, url: p.url, pid: p.pid, stop: () => p.stop() }
}

/** Resident set size of a process in MiB, from /proc (Linux). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN)
  return kb / 1024
}

/** CPU time (user + system, all threads) a process has used so far, in ms, from /proc (Linux; USER_HZ is 100). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the parenthesised command name, which may itself contain spaces: utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

let wasmReady: Promise<void> | undefined
/** Signs `count` events (kind 1 by default) over `authors` keys with libsecp256k1 (WASM): real, verifiable events. */
export async function presign(count: number, { authors = 50, kind = 1, tags = (i: number): string[][] => [['t', `topic-${i % 100}`]] } = {}): Promise<NostrEvent[]> {
  wasmReady ??= initNostrWasm().then((api) => wasm.setNostrWasm(api))
  await wasmReady
  const keys = Array.from({ length: authors }, () => generateSecretKey())
  const base = Math.floor(Date.now() / 1000) - count
  const out: NostrEvent[] = new Array(count)
  for (let i = 0; i < count; i++) {
    const e = wasm.finalizeEvent({ kind, created_at: base + i, tags: tags(i), content: `bench event ${i} ${'x'.repeat(100)}` }, keys[i % authors]!)
    out[i] = { id: e.id, pubkey: e.pubkey, created_at: e.created_at, kind: e.kind, tags: e.tags, content: e.content, sig: e.sig }
  }
  return out
}

/**
 * Events for seeding a big store: correct NIP-01 ids (sha256 of the serialization) but one placeholder signature,
 * because signing a million events takes minutes and neither relay verifies signatures of stored events on read.
 * Event i has tags t=topic-(i % topics) and p=pubkey-of-(i*7 % authors).
 */
export function* seedEvents(n: number, { topics = 1000, authors = 1000 } = {}): Generator<NostrEvent> {
  const pubkeys = Array.from({ length: authors }, () => randomBytes(32).toString('hex'))
  const sig = 'ab'.repeat(64)
  const base = Math.floor(Date.now() / 1000) - n - 10
  for (let i = 0; i < n; i++) {
    const pubkey = pubkeys[i % authors]!
    const created_at = base + i
    const tags = [['t', `topic-${i % topics}`], ['p', pubkeys[(i * 7) % authors]!]]
    const content = `seeded event ${i} ${'y'.repeat(80)}`
    const id = createHash('sha256').update(JSON.stringify([0, pubkey, created_at, 1, tags, content])).digest('hex')
    yield { id, pubkey, created_at, kind: 1, tags, content, sig }
  }
}

/** Seeds ours through its store API (relay/store/sqlite.ts `write`), in batches of one transaction each. */
export function seedOurs(dbPath: string, n: number): void {
  const store = createSqliteStore({ path: dbPath })
  const now = Math.floor(Date.now() / 1000)
  let batch: { event: NostrEvent; json: string }[] = []
  for (const event of seedEvents(n)) {
    batch.push({ event, json: JSON.stringify(event) })
    if (batch.length === 10_000) {
      store.write(batch, now)
      batch = []
    }
  }
  if (batch.length) store.write(batch, now)
  store.close()
}

/**
 * Seeds the third-party relay's database: its own migrations (EventRepositorySqlite.init), then rows written with
 * one prepared INSERT per table in transactions of 10k, exactly the columns its `upsert` writes (events, and one
 * generic_tags row per single-letter tag "name:value"); its secondary indexes are dropped for the load and rebuilt
 * from their own definitions afterwards.
 */
export async function seedThirdParty(dbPath: string, n: number): Promise<void> {
  const repo = new EventRepositorySqlite(dbPath)
  await repo.init()
  await repo.destroy()
  const db = new Database(dbPath)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = OFF')
  db.pragma('cache_size = -262144')
  // Bulk load: drop its secondary indexes, insert, then recreate them from their own definitions.
  const indexes = db
    .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('events', 'generic_tags')")
    .all() as { name: string; sql: string }[]
  for (const { name } of indexes) db.exec(`DROP INDEX "${name}"`)
  const insertEvent = db.prepare(
    'INSERT INTO events (id, pubkey, author, kind, created_at, tags, content, sig, d_tag_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)',
  )
  const insertTag = db.prepare('INSERT INTO generic_tags (tag, author, kind, event_id, created_at) VALUES (?, ?, ?, ?, ?)')
  const insertMany = db.transaction((events: NostrEvent[]) => {
    for (const e of events) {
      insertEvent.run(e.id, e.pubkey, e.pubkey, e.kind, e.created_at, JSON.stringify(e.tags), e.content, e.sig)
      for (const [name, value] of e.tags) insertTag.run(`${name}:${value}`, e.pubkey, e.kind, e.id, e.created_at)
    }
  })
  let batch: NostrEvent[] = []
  for (const e of seedEvents(n)) {
    batch.push(e)
    if (batch.length === 10_000) {
      insertMany(batch)
      batch = []
    }
  }
  if (batch.length) insertMany(batch)
  for (const { sql } of indexes) db.exec(sql)
  db.close()
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

export type Row = { metric: string; ours: number; thirdParty: number; unit: string; higherIsBetter: boolean; target: string }

/** metric | ours | third-party | ratio | target. The ratio is always "how many times better ours is". */
export function printTable(title: string, rows: Row[]): void {
  const fmt = (v: number) => (Number.isNaN(v) ? 'n/a' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2))
  const lines = rows.map((r) => {
    const ratio = r.higherIsBetter ? r.ours / r.thirdParty : r.thirdParty / r.ours
    return [r.metric, `${fmt(r.ours)} ${r.unit}`, `${fmt(r.thirdParty)} ${r.unit}`, `${fmt(ratio)}x`, r.target]
  })
  const header = ['metric', 'ours', 'third-party', 'ratio (ours better by)', 'target']
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |'
  console.log(`\n${title}`)
  console.log(line(header))
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|')
  for (const l of lines) console.log(line(l))
}
