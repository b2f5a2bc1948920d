// Seen job ids, persisted (SQLite, WAL) until the job request expires, so a job that arrives twice (directly
// and through a relay, or again after a restart) runs at most once. `claim` is the single gate: it inserts the
// id and reports whether it was new; `release` gives an id back when the copy that claimed it turns out forged
// (NIP-01 ids do not cover `sig`, so a forged copy carries the genuine job's id). A claimed id with its client
// and no outcome is a job in flight: one still there when the daemon starts was cut off by a crash. Nothing
// about the prompt is stored.
import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'

export type InterruptedJob = { id: string; client: string }

export type DedupeStore = {
  /**
   * true if `id` was not seen before (and is now recorded until `expiresAt`, unix seconds). `client` (the job's
   * author, once its signature is known good) makes the job one in flight until `finish`.
   */
  claim(id: string, expiresAt: number, now: number, client?: string | undefined): boolean
  /** Notes the author of a claimed job whose signature was checked after the claim: it is in flight. */
  inFlight(id: string, client: string): void
  /** Forgets a claim whose copy failed its signature check, so the genuine job can still run. */
  release(id: string): void
  has(id: string): boolean
  /** Records how a job ended (for `status` and diagnostics). */
  finish(id: string, outcome: string): void
  outcome(id: string): string | undefined
  /** Jobs in flight when the last daemon on this store stopped without ending them (killed). */
  interrupted(): InterruptedJob[]
  prune(now: number): number
  size(): number
  close(): void
}

export function createDedupeStore({ path }: { path: string }): DedupeStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec('CREATE TABLE IF NOT EXISTS seen_jobs (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, outcome TEXT, client TEXT) WITHOUT ROWID')
  // Stores written before jobs in flight were noted have no client column.
  if (!db.prepare<[], { name: string }>('PRAGMA table_info(seen_jobs)').all().some((c) => c.name === 'client')) db.exec('ALTER TABLE seen_jobs ADD COLUMN client TEXT')
  db.exec('CREATE INDEX IF NOT EXISTS seen_jobs_expires ON seen_jobs (expires_at)')
  const insert = db.prepare('INSERT OR IGNORE INTO seen_jobs (id, expires_at, client) VALUES (?, ?, ?)')
  const select = db.prepare<[string], { outcome: string | null }>('SELECT outcome FROM seen_jobs WHERE id = ?')
  const update = db.prepare('UPDATE seen_jobs SET outcome = ? WHERE id = ?')
  const setClient = db.prepare('UPDATE seen_jobs SET client = ? WHERE id = ? AND outcome IS NULL')
  const remove = db.prepare('DELETE FROM seen_jobs WHERE id = ?')
  const unfinished = db.prepare<[], InterruptedJob>('SELECT id, client FROM seen_jobs WHERE outcome IS NULL AND client IS NOT NULL')
  const del = db.prepare('DELETE FROM seen_jobs WHERE expires_at <= ?')
  const count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM seen_jobs')
  let lastPrune = 0
  return {
    claim(id, expiresAt, now, client) {
      if (now - lastPrune > 60) {
        lastPrune = now
        del.run(now)
      }
      return insert.run(id, expiresAt, client ?? null).changes === 1
    },
    inFlight: (id, client) => void setClient.run(client, id),
    release: (id) => void remove.run(id),
    has: (id) => select.get(id) !== undefined,
    finish: (id, outcome) => void update.run(outcome, id),
    outcome: (id) => select.get(id)?.outcome ?? undefined,
    interrupted: () => unfinished.all(),
    prune: (now) => del.run(now).changes,
    size: () => count.get()!.n,
    close: () => db.close(),
  }
}
