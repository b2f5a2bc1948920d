// Seen job ids, persisted (SQLite, WAL) until the job request expires, so a job that arrives twice (directly
// and through a relay, or again after a restart) runs at most once. `claim` is the single gate: it inserts the
// id and reports whether it was new. Nothing about the prompt is stored.
import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'

export type DedupeStore = {
  /** true if `id` was not seen before (and is now recorded until `expiresAt`, unix seconds). */
  claim(id: string, expiresAt: number, now: number): boolean
  has(id: string): boolean
  /** Records how a job ended (for `status` and diagnostics). */
  finish(id: string, outcome: string): void
  outcome(id: string): string | undefined
  prune(now: number): number
  size(): number
  close(): void
}

export function createDedupeStore({ path }: { path: string }): DedupeStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec('CREATE TABLE IF NOT EXISTS seen_jobs (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, outcome TEXT) WITHOUT ROWID')
  db.exec('CREATE INDEX IF NOT EXISTS seen_jobs_expires ON seen_jobs (expires_at)')
  const insert = db.prepare('INSERT OR IGNORE INTO seen_jobs (id, expires_at) VALUES (?, ?)')
  const select = db.prepare<[string], { outcome: string | null }>('SELECT outcome FROM seen_jobs WHERE id = ?')
  const update = db.prepare('UPDATE seen_jobs SET outcome = ? WHERE id = ?')
  const del = db.prepare('DELETE FROM seen_jobs WHERE expires_at <= ?')
  const count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM seen_jobs')
  let lastPrune = 0
  return {
    claim(id, expiresAt, now) {
      if (now - lastPrune > 60) {
        lastPrune = now
        del.run(now)
      }
      return insert.run(id, expiresAt).changes === 1
    },
    has: (id) => select.get(id) !== undefined,
    finish: (id, outcome) => void update.run(outcome, id),
    outcome: (id) => select.get(id)?.outcome ?? undefined,
    prune: (now) => del.run(now).changes,
    size: () => count.get()!.n,
    close: () => db.close(),
  }
}
