// The coordinator's SQLite cache (better-sqlite3, WAL). Everything here can be rebuilt from relays: delete the
// file and the indexer refills it. Writes come in batches, one transaction per indexer tick.
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import type { NostrEvent } from '../protocol/event.ts'
import type { ReputationEvents } from '../routing/reputation.ts'
import type { NodeStats } from '../routing/stats.ts'
import type { HistoryBucket, HistoryRange } from './history.ts'

export type JobRow = {
  id: string
  client: string | null
  node: string | null
  model: string | null
  status: string
  code: string | null
  message: string | null
  outcome: string | null
  result_id: string | null
  prompt_tokens: number | null
  completion_tokens: number | null
  amount: string | null
  ttft_ms: number | null
  duration_ms: number | null
  created_at: number
  updated_at: number
  /** When the job's outcome became success or failure: the deciding event's created_at, never past the indexer's clock. */
  finished_at: number | null
}

const schema = `
CREATE TABLE IF NOT EXISTS node_events (pubkey TEXT NOT NULL, kind INTEGER NOT NULL, created_at INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (pubkey, kind));
CREATE TABLE IF NOT EXISTS node_stats (pubkey TEXT PRIMARY KEY, jobs INTEGER NOT NULL, successes INTEGER NOT NULL, failures INTEGER NOT NULL,
  ttft_sum REAL NOT NULL, ttft_n INTEGER NOT NULL, tps_sum REAL NOT NULL, tps_n INTEGER NOT NULL, receipts INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, client TEXT, node TEXT, model TEXT, status TEXT NOT NULL, code TEXT, message TEXT,
  outcome TEXT, result_id TEXT, prompt_tokens INTEGER, completion_tokens INTEGER, amount TEXT, ttft_ms INTEGER, duration_ms INTEGER,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, finished_at INTEGER);
CREATE TABLE IF NOT EXISTS job_events (id TEXT PRIMARY KEY, job TEXT NOT NULL, kind INTEGER NOT NULL, created_at INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS job_events_job ON job_events (job, created_at);
CREATE TABLE IF NOT EXISTS receipts (id TEXT PRIMARY KEY, node TEXT NOT NULL, client TEXT NOT NULL, job TEXT, created_at INTEGER NOT NULL);
-- Result rejections (kind 3834): what clients said they refused, for reputation (nips/reputation.md).
CREATE TABLE IF NOT EXISTS rejections (id TEXT PRIMARY KEY, node TEXT NOT NULL, client TEXT NOT NULL, job TEXT NOT NULL, created_at INTEGER NOT NULL);
-- Spending of API keys as versions before apiKeyUsage.ts kept it: read once to carry it over, never written.
CREATE TABLE IF NOT EXISTS api_usage (key_id TEXT PRIMARY KEY, spent TEXT NOT NULL, requests INTEGER NOT NULL);
`

/** After the column exists (addFinishedAt): the history's per-minute sums read this index alone, not the table. */
const historyIndex = 'CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (finished_at, outcome, completion_tokens)'

/**
 * Caches written before jobs had `finished_at` get the column, their finished jobs dated by their last event (the
 * nearest time they kept), so the history does not start empty on an upgrade.
 */
function addFinishedAt(db: Database.Database): void {
  const columns = db.prepare('PRAGMA table_info(jobs)').all() as { name: string }[]
  if (columns.some((c) => c.name === 'finished_at')) return
  db.exec("ALTER TABLE jobs ADD COLUMN finished_at INTEGER; UPDATE jobs SET finished_at = updated_at WHERE outcome IN ('success', 'failure')")
}

export type CoordinatorDb = ReturnType<typeof openCoordinatorDb>

export function openCoordinatorDb(path: string) {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec(schema)
  addFinishedAt(db)
  db.exec(historyIndex)
  const st = {
    putNodeEvent: db.prepare('INSERT OR REPLACE INTO node_events (pubkey, kind, created_at, json) VALUES (?, ?, ?, ?)'),
    nodeEvents: db.prepare('SELECT json FROM node_events ORDER BY kind DESC'),
    putStats: db.prepare(
      'INSERT OR REPLACE INTO node_stats (pubkey, jobs, successes, failures, ttft_sum, ttft_n, tps_sum, tps_n, receipts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    allStats: db.prepare('SELECT * FROM node_stats'),
    getJob: db.prepare('SELECT * FROM jobs WHERE id = ?'),
    putJob: db.prepare(
      `INSERT OR REPLACE INTO jobs (id, client, node, model, status, code, message, outcome, result_id, prompt_tokens, completion_tokens, amount, ttft_ms, duration_ms, created_at, updated_at, finished_at)
       VALUES (@id, @client, @node, @model, @status, @code, @message, @outcome, @result_id, @prompt_tokens, @completion_tokens, @amount, @ttft_ms, @duration_ms, @created_at, @updated_at, @finished_at)`,
    ),
    // `%`, not `/ @bucket * @bucket`: better-sqlite3 binds JS numbers as REAL, and `/` would then divide as floats.
    jobHistory: db.prepare(
      `SELECT finished_at - finished_at % @bucket AS t, SUM(outcome = 'success') AS jobs,
         SUM(CASE WHEN outcome = 'success' THEN COALESCE(completion_tokens, 0) ELSE 0 END) AS tokens, SUM(outcome = 'failure') AS failures
       FROM jobs WHERE finished_at >= @start AND finished_at < @end GROUP BY t`,
    ),
    putJobEvent: db.prepare('INSERT OR IGNORE INTO job_events (id, job, kind, created_at, json) VALUES (?, ?, ?, ?, ?)'),
    jobEvents: db.prepare('SELECT json FROM job_events WHERE job = ? ORDER BY created_at, kind DESC'),
    putReceipt: db.prepare('INSERT OR IGNORE INTO receipts (id, node, client, job, created_at) VALUES (?, ?, ?, ?, ?)'),
    putRejection: db.prepare('INSERT OR IGNORE INTO rejections (id, node, client, job, created_at) VALUES (?, ?, ?, ?, ?)'),
    reputationResults: db.prepare('SELECT id AS job, node, client, finished_at AS createdAt FROM jobs WHERE result_id IS NOT NULL AND client IS NOT NULL AND finished_at >= ?'),
    reputationReceipts: db.prepare('SELECT node, client, job, created_at AS createdAt FROM receipts WHERE created_at >= ?'),
    reputationRejections: db.prepare('SELECT node, client, job, created_at AS createdAt FROM rejections WHERE created_at >= ?'),
    getUsage: db.prepare('SELECT spent, requests FROM api_usage WHERE key_id = ?'),
    countJobs: db.prepare('SELECT outcome, COUNT(*) AS n FROM jobs GROUP BY outcome'),
    deleteNode: db.prepare('DELETE FROM node_events WHERE pubkey = ?'),
    pruneJobs: db.prepare('DELETE FROM jobs WHERE updated_at < ?'),
    pruneJobEvents: db.prepare('DELETE FROM job_events WHERE created_at < ?'),
    pruneReceipts: db.prepare('DELETE FROM receipts WHERE created_at < ?'),
    pruneRejections: db.prepare('DELETE FROM rejections WHERE created_at < ?'),
  }
  return {
    db,
    transaction<T>(fn: () => T): T {
      return db.transaction(fn)()
    },
    putNodeEvent(event: NostrEvent): void {
      st.putNodeEvent.run(event.pubkey, event.kind, event.created_at, JSON.stringify(event))
    },
    nodeEvents(): NostrEvent[] {
      return (st.nodeEvents.all() as { json: string }[]).map((r) => JSON.parse(r.json) as NostrEvent)
    },
    putStats(pubkey: string, s: NodeStats): void {
      st.putStats.run(pubkey, s.jobs, s.successes, s.failures, s.ttftSumMs, s.ttftCount, s.tpsSum, s.tpsCount, s.receipts)
    },
    allStats(): { pubkey: string; stats: NodeStats }[] {
      return (st.allStats.all() as Record<string, number | string>[]).map((r) => ({
        pubkey: r.pubkey as string,
        stats: {
          jobs: r.jobs as number,
          successes: r.successes as number,
          failures: r.failures as number,
          ttftSumMs: r.ttft_sum as number,
          ttftCount: r.ttft_n as number,
          tpsSum: r.tps_sum as number,
          tpsCount: r.tps_n as number,
          receipts: r.receipts as number,
        },
      }))
    },
    getJob(id: string): JobRow | undefined {
      return st.getJob.get(id) as JobRow | undefined
    },
    putJob(row: JobRow): void {
      st.putJob.run(row)
    },
    putJobEvent(job: string, event: NostrEvent): void {
      st.putJobEvent.run(event.id, job, event.kind, event.created_at, JSON.stringify(event))
    },
    jobEvents(job: string): NostrEvent[] {
      return (st.jobEvents.all(job) as { json: string }[]).map((r) => JSON.parse(r.json) as NostrEvent)
    },
    putReceipt(id: string, node: string, client: string, job: string | undefined, createdAt: number): boolean {
      return st.putReceipt.run(id, node, client, job ?? null, createdAt).changes > 0
    },
    putRejection(id: string, node: string, client: string, job: string, createdAt: number): boolean {
      return st.putRejection.run(id, node, client, job, createdAt).changes > 0
    },
    /** What the reputation function reads (src/routing/reputation.ts), from `since` on; verdicts live in the market. */
    reputationEvents(since: number): Omit<ReputationEvents, 'verdicts'> {
      type Row = { job: string | null; node: string; client: string; createdAt: number }
      const rows = (stmt: { all(since: number): unknown[] }) => (stmt.all(since) as Row[]).map((r) => ({ ...r, job: r.job ?? undefined }))
      return {
        results: rows(st.reputationResults) as { job: string; node: string; client: string; createdAt: number }[],
        receipts: rows(st.reputationReceipts),
        rejections: rows(st.reputationRejections) as { job: string; node: string; client: string; createdAt: number }[],
      }
    },
    /** Spending an older version recorded in this cache (apiKeys.ts carries it into the usage file). */
    getUsage(keyId: string): { spent: bigint; requests: number } {
      const r = st.getUsage.get(keyId) as { spent: string; requests: number } | undefined
      return r ? { spent: BigInt(r.spent), requests: r.requests } : { spent: 0n, requests: 0 }
    },
    /** Finished jobs summed per bucket of `range`; buckets with none are absent (history.ts fills them). */
    jobHistory(range: HistoryRange): HistoryBucket[] {
      return st.jobHistory.all({ bucket: range.bucketSeconds, start: range.start, end: range.end }) as HistoryBucket[]
    },
    jobCounts(): Record<string, number> {
      const out: Record<string, number> = {}
      for (const r of st.countJobs.all() as { outcome: string | null; n: number }[]) out[r.outcome ?? 'open'] = r.n
      return out
    },
    /** Drops the cached events of nodes that left the market. */
    deleteNode(pubkey: string): void {
      st.deleteNode.run(pubkey)
    },
    /** Drops job records older than `before` (unix seconds); node statistics (sums) are kept. */
    prune(before: number): void {
      st.pruneJobs.run(before)
      st.pruneJobEvents.run(before)
      st.pruneReceipts.run(before)
      st.pruneRejections.run(before)
    },
    close(): void {
      db.close()
    },
  }
}
