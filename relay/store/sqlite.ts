// SQLite EventStore (better-sqlite3, WAL). Events keep their raw JSON, sent verbatim; single-letter tags go to
// an index table. One `write` call is one transaction, so the relay acknowledges only committed events.
import Database from 'better-sqlite3'
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3'
import { BaseError } from '../../src/errors/base.ts'
import type { Filter } from '../filters.ts'
import { compareEvents } from '../filters.ts'
import { addressOf } from '../../src/protocol/address.ts'
import { getExpiration } from '../../src/protocol/nip40.ts'
import type { EventStore, StoredEvent, StoreWrite, WriteOutcome } from './types.ts'
import { planWrite, type StoredVersion, type WriteView } from './writePlan.ts'

export class RelayStoreOpenError extends BaseError {
  override name = 'RelayStoreOpenError'
  override code = 'relay-store-open'
  constructor(path: string, cause: unknown) {
    super(`Could not open the relay database ${path}.`, {
      cause,
      metaMessages: ['Check that the directory exists and is writable,', 'and that no other relay process holds the file.'],
    })
  }
}

export type CreateSqliteStoreParameters = {
  path: string
  /** SQLite page cache in KiB (negative cache_size); small by default to keep RSS low. */
  cacheKiB?: number | undefined
}

const schema = `
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  pubkey TEXT NOT NULL,
  kind INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  dtag TEXT,
  json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_created ON events (created_at DESC);
CREATE INDEX IF NOT EXISTS events_pubkey ON events (pubkey, created_at DESC);
CREATE INDEX IF NOT EXISTS events_kind ON events (kind, created_at DESC);
CREATE INDEX IF NOT EXISTS events_pubkey_kind ON events (pubkey, kind, created_at DESC);
CREATE INDEX IF NOT EXISTS events_expires ON events (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS tags (
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  event INTEGER NOT NULL,
  PRIMARY KEY (name, value, created_at, event)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tags_event ON tags (event);
CREATE TABLE IF NOT EXISTS deleted_ids (id TEXT PRIMARY KEY, pubkey TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deleted_addresses (address TEXT PRIMARY KEY, until INTEGER NOT NULL) WITHOUT ROWID;
`

type Row = { seq: number; id: string; created_at: number; kind: number; json: string }

/** Builds the WHERE clause and parameters for one filter over `events e` (tags via subqueries). */
function filterSql(filter: Filter, now: number): { from: string; where: string; params: unknown[]; order: string } {
  const conds: string[] = ['(e.expires_at IS NULL OR e.expires_at > ?)']
  const params: unknown[] = [now]
  const fromParams: unknown[] = []
  let from = 'events e'
  let order = 'e.created_at DESC, e.id ASC'
  const list = (values: readonly unknown[]) => values.map(() => '?').join(',')
  const tagEntries = Object.entries(filter.tags ?? {})
  // A single-valued tag condition drives the query from the tag index, in created_at order.
  const driver = !filter.ids ? tagEntries.findIndex(([, v]) => v.length === 1) : -1
  if (driver >= 0) {
    const [name, values] = tagEntries[driver]!
    from = 'tags t JOIN events e ON e.seq = t.event'
    conds.push('t.name = ? AND t.value = ?')
    params.push(name, values[0])
    order = 't.created_at DESC, e.id ASC'
    if (filter.since !== undefined) {
      conds.push('t.created_at >= ?')
      params.push(filter.since)
    }
    if (filter.until !== undefined) {
      conds.push('t.created_at <= ?')
      params.push(filter.until)
    }
  }
  if (filter.ids) {
    conds.push(`e.id IN (${list(filter.ids)})`)
    params.push(...filter.ids)
  }
  if (filter.authors) {
    conds.push(filter.authors.length === 1 ? 'e.pubkey = ?' : `e.pubkey IN (${list(filter.authors)})`)
    params.push(...filter.authors)
  }
  if (filter.kinds) {
    // With several authors, keep the planner on the author indexes (kinds are rarely selective).
    const col = filter.authors && filter.kinds.length > 1 ? '+e.kind' : 'e.kind'
    conds.push(filter.kinds.length === 1 ? `${col} = ?` : `${col} IN (${list(filter.kinds)})`)
    params.push(...filter.kinds)
  }
  if (filter.since !== undefined) {
    conds.push('e.created_at >= ?')
    params.push(filter.since)
  }
  if (filter.until !== undefined) {
    conds.push('e.created_at <= ?')
    params.push(filter.until)
  }
  tagEntries.forEach(([name, values], i) => {
    if (i === driver) return
    conds.push(`e.seq IN (SELECT event FROM tags WHERE name = ? AND value IN (${list(values)}))`)
    params.push(name, ...values)
  })
  return { from, where: conds.join(' AND '), params: [...fromParams, ...params], order }
}

export function createSqliteStore({ path, cacheKiB = 16 * 1024 }: CreateSqliteStoreParameters): EventStore {
  let db: SqliteDatabase
  try {
    db = new Database(path)
    db.pragma('journal_mode = WAL')
    // WAL + NORMAL: a commit survives a process crash (SIGKILL); only an OS crash can lose the last commits.
    db.pragma('synchronous = NORMAL')
    db.pragma(`cache_size = -${cacheKiB}`)
    db.pragma('temp_store = MEMORY')
    db.pragma('busy_timeout = 5000')
    db.exec(schema)
  } catch (cause) {
    throw new RelayStoreOpenError(path, cause)
  }

  type Version = StoredVersion & { seq: number }
  const st = {
    byId: db.prepare<[string], Version>('SELECT seq, id, pubkey, kind, created_at FROM events WHERE id = ?'),
    insert: db.prepare('INSERT INTO events (id, pubkey, kind, created_at, expires_at, dtag, json) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    insertTag: db.prepare('INSERT OR IGNORE INTO tags (name, value, created_at, event) VALUES (?, ?, ?, ?)'),
    byAddress: db.prepare<[string, number, string], Version>('SELECT seq, id, pubkey, kind, created_at FROM events WHERE pubkey = ? AND kind = ? AND dtag = ?'),
    deleteEvent: db.prepare('DELETE FROM events WHERE seq = ?'),
    deleteTags: db.prepare('DELETE FROM tags WHERE event = ?'),
    deletedId: db.prepare<[string], { pubkey: string }>('SELECT pubkey FROM deleted_ids WHERE id = ?'),
    insertDeletedId: db.prepare('INSERT OR REPLACE INTO deleted_ids (id, pubkey) VALUES (?, ?)'),
    deletedAddress: db.prepare<[string], { until: number }>('SELECT until FROM deleted_addresses WHERE address = ?'),
    setDeletedAddress: db.prepare('INSERT OR REPLACE INTO deleted_addresses (address, until) VALUES (?, ?)'),
    expired: db.prepare<[number], { seq: number }>('SELECT seq FROM events WHERE expires_at IS NOT NULL AND expires_at <= ?'),
    countEvents: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM events'),
  }

  const removeSeq = (seq: number) => {
    st.deleteTags.run(seq)
    st.deleteEvent.run(seq)
  }

  // dtag is '' for replaceable kinds and NULL for kinds without an address, so one index serves both lookups.
  const view: WriteView<Version> = {
    byId: (id) => st.byId.get(id),
    atAddress: ({ kind, pubkey, d }) => st.byAddress.all(pubkey, kind, d),
    deletedBy: (id) => st.deletedId.get(id)?.pubkey,
    deletedUntil: (key) => st.deletedAddress.get(key)?.until,
  }

  const writeOne = ({ event, json }: StoreWrite): WriteOutcome => {
    const plan = planWrite(event, view)
    if (plan.action === 'skip') return plan.outcome
    for (const version of plan.remove) removeSeq(version.seq)
    for (const { id, pubkey } of plan.tombstoneIds) st.insertDeletedId.run(id, pubkey)
    for (const { key, until } of plan.tombstoneAddresses) st.setDeletedAddress.run(key, until)
    const info = st.insert.run(event.id, event.pubkey, event.kind, event.created_at, getExpiration(event) ?? null, addressOf(event)?.d ?? null, json)
    const seq = Number(info.lastInsertRowid)
    for (const tag of event.tags) {
      if (tag[0] !== undefined && tag[0].length === 1 && tag[1] !== undefined) st.insertTag.run(tag[0], tag[1], event.created_at, seq)
    }
    return { status: 'saved' }
  }

  const writeBatch = db.transaction((batch: readonly StoreWrite[]) => batch.map(writeOne))

  const cache = new Map<string, Statement<unknown[], Row>>()
  const prepare = (sql: string) => {
    let stmt = cache.get(sql)
    if (!stmt) {
      if (cache.size > 256) cache.clear()
      stmt = db.prepare<unknown[], Row>(sql)
      cache.set(sql, stmt)
    }
    return stmt
  }

  /**
   * A limited filter with several authors (or, lacking authors and a tag to drive it, several kinds) runs as one
   * query per value, each walking its index in created_at order and stopping at the limit, then merges: SQLite
   * would otherwise collect and sort every row matching the IN list.
   */
  const splitQuery = (filter: Filter, now: number): Row[] | undefined => {
    if (filter.limit === undefined || filter.ids) return undefined
    const hasTagDriver = Object.values(filter.tags ?? {}).some((v) => v.length === 1)
    let parts: Filter[] | undefined
    const authors = filter.authors ? [...new Set(filter.authors)] : undefined
    const kinds = filter.kinds ? [...new Set(filter.kinds)] : undefined
    if (authors && authors.length > 1 && authors.length <= 256) {
      parts = authors.map((a) => ({ ...filter, authors: [a] }))
    } else if (!authors && !hasTagDriver && kinds && kinds.length > 1 && kinds.length <= 256) {
      parts = kinds.map((k) => ({ ...filter, kinds: [k] }))
    }
    if (!parts) return undefined
    const rows = parts.flatMap((part) => rowsFor(part, now, true))
    return rows.sort(compareEvents).slice(0, filter.limit)
  }

  const rowsFor = (filter: Filter, now: number, limit: boolean): Row[] => {
    if (limit) {
      const split = splitQuery(filter, now)
      if (split) return split
    }
    const { from, where, params, order } = filterSql(filter, now)
    const sql = `SELECT e.seq AS seq, e.id AS id, e.created_at AS created_at, e.kind AS kind, e.json AS json FROM ${from} WHERE ${where} ORDER BY ${order}${limit && filter.limit !== undefined ? ' LIMIT ?' : ''}`
    return prepare(sql).all(...(limit && filter.limit !== undefined ? [...params, filter.limit] : params))
  }

  return {
    type: 'sqlite',
    write: (batch) => (batch.length === 0 ? [] : writeBatch(batch)),
    query(filters, now) {
      if (filters.length === 1) return rowsFor(filters[0]!, now, true).map(({ id, created_at, kind, json }) => ({ id, created_at, kind, json }))
      const seen = new Map<string, StoredEvent>()
      for (const filter of filters) for (const r of rowsFor(filter, now, true)) seen.set(r.id, { id: r.id, created_at: r.created_at, kind: r.kind, json: r.json })
      return [...seen.values()].sort(compareEvents)
    },
    count(filters, now) {
      if (filters.length === 1) {
        const { from, where, params } = filterSql(filters[0]!, now)
        const stmt = db.prepare<unknown[], { n: number }>(`SELECT count(DISTINCT e.seq) AS n FROM ${from} WHERE ${where}`)
        return stmt.get(...params)?.n ?? 0
      }
      const seqs = new Set<number>()
      for (const filter of filters) for (const r of rowsFor(filter, now, false)) seqs.add(r.seq)
      return seqs.size
    },
    purgeExpired(now) {
      const rows = st.expired.all(now)
      db.transaction(() => rows.forEach((r) => removeSeq(r.seq)))()
      return rows.length
    },
    stats() {
      const pages = db.pragma('page_count', { simple: true }) as number
      const size = db.pragma('page_size', { simple: true }) as number
      return { events: st.countEvents.get()?.n ?? 0, bytes: pages * size }
    },
    close() {
      if (db.open) db.close()
    },
  }
}
