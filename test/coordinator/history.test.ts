// The per-minute history behind the status page's charts: bucket arithmetic (pure), the SQLite sums it fills, and
// GET /api/v1/stats/history on a coordinator whose clock the test holds.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import Database from 'better-sqlite3'
import { createCoordinator } from '../../src/coordinator/app.ts'
import { openCoordinatorDb } from '../../src/coordinator/db.ts'
import { fillHistory, historyRange, parseHistoryWindow } from '../../src/coordinator/history.ts'
import { buildJobStatus } from '../../src/protocol/jobStatus.ts'
import { tempDir } from '../helpers/coordinator.ts'
import { testSigner } from '../helpers/keys.ts'
import { jobId, resultEvent } from './fixtures.ts'

describe('history buckets (pure)', () => {
  it('ends with the minute now falls in, aligned to whole minutes', () => {
    assert.deepEqual(historyRange(1_000_030, 3600), { start: 996_480, end: 1_000_080, bucketSeconds: 60 })
    // A window that is not whole minutes is rounded up to them; a tiny one is still one bucket.
    assert.deepEqual(historyRange(120, 61), { start: 60, end: 180, bucketSeconds: 60 })
    assert.deepEqual(historyRange(120, 1), { start: 120, end: 180, bucketSeconds: 60 })
  })

  it('fills the minutes without jobs with zeros and ignores sums outside the range', () => {
    const range = historyRange(300, 240)
    const filled = fillHistory(range, [
      { t: 180, jobs: 2, tokens: 40, failures: 1 },
      { t: 0, jobs: 9, tokens: 9, failures: 9 },
      { t: 360, jobs: 9, tokens: 9, failures: 9 },
    ])
    assert.deepEqual(filled, [
      { t: 120, jobs: 0, tokens: 0, failures: 0 },
      { t: 180, jobs: 2, tokens: 40, failures: 1 },
      { t: 240, jobs: 0, tokens: 0, failures: 0 },
      { t: 300, jobs: 0, tokens: 0, failures: 0 },
    ])
  })

  it('reads the window parameter: default an hour, whole seconds from a minute to a day', () => {
    assert.equal(parseHistoryWindow(undefined), 3600)
    assert.equal(parseHistoryWindow(''), 3600)
    assert.equal(parseHistoryWindow('600'), 600)
    for (const bad of ['59', '86401', '1e3', '-60', '60.5', 'hour', '9999999']) assert.equal(parseHistoryWindow(bad), undefined, bad)
  })
})

describe('GET /api/v1/stats/history', () => {
  it('sums successes, their tokens and node-side failures per minute by the deciding event, on the injected clock', async (t) => {
    const dir = tempDir()
    t.after(() => dir.remove())
    // Far from the wall clock, so only the injected one can place these jobs in the window.
    const base = 1_700_000_000 - (1_700_000_000 % 60)
    let clock = base + 30
    const coord = createCoordinator({ relays: [], dbPath: `${dir.path}/c.db`, config: { gateway: false }, now: () => clock })
    t.after(() => coord.close())
    const node = testSigner('history-node')
    const client = testSigner('history-client').pubkey
    const events = [
      await resultEvent(node, { job: jobId(1), client, completion: 50, now: base - 120 }),
      await resultEvent(node, { job: jobId(2), client, completion: 30, now: base - 100 }),
      await buildJobStatus(node, { job: jobId(3), client, status: 'error', content: { code: 'backend', message: 'died' }, now: base - 60 }),
      // Refusals and cancellations are not the node's failures (nor finished work).
      await buildJobStatus(node, { job: jobId(4), client, status: 'error', content: { code: 'busy' }, now: base - 60 }),
      await buildJobStatus(node, { job: jobId(5), client, status: 'cancelled', now: base - 60 }),
      // Signed a little ahead of the coordinator's clock: counted now, not in a minute that has not come.
      await resultEvent(node, { job: jobId(6), client, completion: 7, now: base + 50 }),
      // Older than the window.
      await resultEvent(node, { job: jobId(7), client, completion: 1000, now: base - 7200 }),
    ]
    for (const e of events) assert.ok(coord.indexer.ingest(e))

    const res = await coord.app.request('/api/v1/stats/history?window=240')
    assert.equal(res.status, 200)
    const body = (await res.json()) as { window: number; bucketSeconds: number; buckets: unknown[] }
    assert.equal(body.window, 240)
    assert.equal(body.bucketSeconds, 60)
    assert.deepEqual(body.buckets, [
      { t: base - 180, jobs: 0, tokens: 0, failures: 0 },
      { t: base - 120, jobs: 2, tokens: 80, failures: 0 },
      { t: base - 60, jobs: 0, tokens: 0, failures: 1 },
      { t: base, jobs: 1, tokens: 7, failures: 0 },
    ])

    // The default window is an hour of minutes; the clock moving on moves the buckets.
    clock += 3600
    const hour = (await (await coord.app.request('/api/v1/stats/history')).json()) as { buckets: { t: number; jobs: number }[] }
    assert.equal(hour.buckets.length, 60)
    assert.equal(hour.buckets.at(-1)!.t, base + 3600)
    assert.equal(hour.buckets.reduce((n, b) => n + b.jobs, 0), 0)

    const bad = await coord.app.request('/api/v1/stats/history?window=5')
    assert.equal(bad.status, 400)
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'invalid_request')
  })

  it('a cache written before jobs had finished_at gets it, its finished jobs dated by their last event', (t) => {
    const dir = tempDir()
    t.after(() => dir.remove())
    const path = `${dir.path}/old.db`
    const old = new Database(path)
    old.exec(`CREATE TABLE jobs (id TEXT PRIMARY KEY, client TEXT, node TEXT, model TEXT, status TEXT NOT NULL, code TEXT, message TEXT,
      outcome TEXT, result_id TEXT, prompt_tokens INTEGER, completion_tokens INTEGER, amount TEXT, ttft_ms INTEGER, duration_ms INTEGER,
      created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`)
    const put = old.prepare('INSERT INTO jobs (id, status, outcome, completion_tokens, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
    put.run(jobId(1), 'success', 'success', 12, 590, 600)
    put.run(jobId(2), 'error', 'failure', null, 600, 610)
    put.run(jobId(3), 'processing', null, null, 600, 620)
    old.close()
    const db = openCoordinatorDb(path)
    t.after(() => db.close())
    assert.deepEqual(db.jobHistory(historyRange(650, 120)), [{ t: 600, jobs: 1, tokens: 12, failures: 1 }])
  })
})
