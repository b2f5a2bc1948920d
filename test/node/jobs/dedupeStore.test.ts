import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import Database from 'better-sqlite3'
import { createDedupeStore } from '../../../node/jobs/dedupeStore.ts'

test('dedupe store: release gives an id back; claimed jobs with a client and no outcome are in flight', () => {
  const store = createDedupeStore({ path: ':memory:' })
  try {
    assert.ok(store.claim('forged', 100, 0))
    store.release('forged')
    assert.ok(store.claim('forged', 100, 0), 'the genuine copy can claim it')
    assert.ok(store.claim('a', 100, 0, 'client-a'))
    assert.ok(store.claim('b', 100, 0))
    store.inFlight('b', 'client-b')
    assert.ok(store.claim('c', 100, 0, 'client-c'))
    store.finish('c', 'success')
    store.inFlight('c', 'someone')
    assert.deepEqual(store.interrupted(), [{ id: 'a', client: 'client-a' }, { id: 'b', client: 'client-b' }])
  } finally {
    store.close()
  }
})

test('dedupe store: a file written before jobs in flight were noted opens and keeps its ids', () => {
  const dir = mkdtempSync(join(tmpdir(), 'infernet-dedupe-'))
  try {
    const path = join(dir, 'jobs.sqlite')
    const old = new Database(path)
    old.exec('CREATE TABLE seen_jobs (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, outcome TEXT) WITHOUT ROWID')
    old.prepare('INSERT INTO seen_jobs (id, expires_at, outcome) VALUES (?, ?, ?)').run('x', 100, null)
    old.close()
    const store = createDedupeStore({ path })
    try {
      assert.equal(store.claim('x', 100, 0), false)
      assert.deepEqual(store.interrupted(), [], 'an old row has no client: it is not reported')
    } finally {
      store.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
