import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { finalizeEvent } from 'nostr-tools/pure'
import { openCoordinatorDb } from '../../src/coordinator/db.ts'
import { createIndexer } from '../../src/coordinator/indexer.ts'
import { MarketIndex } from '../../src/coordinator/marketIndex.ts'
import { summarizeStats } from '../../src/routing/stats.ts'
import { tempDir } from '../helpers/coordinator.ts'
import { testSigner } from '../helpers/keys.ts'
import { capabilityEvent, errorStatusEvent, fakeNode, heartbeatEvent, jobId, resultEvent } from './fixtures.ts'

describe('indexer', () => {
  it('validates at the door: forged and malformed events are counted and never stored', async (t) => {
    const dir = tempDir()
    t.after(() => dir.remove())
    const db = openCoordinatorDb(`${dir.path}/c.db`)
    t.after(() => db.close())
    const market = new MarketIndex()
    const indexer = createIndexer({ db, market })
    const node = await fakeNode('door')
    for (const e of node.events) assert.equal(indexer.ingest(e), true)
    assert.equal(indexer.ingest(node.events[0]), false, 'duplicate')
    // Claims to be the node (its pubkey) with someone else's signature.
    const forged = { ...(await capabilityEvent(testSigner('mallory'), { name: 'x' })), pubkey: node.pubkey }
    assert.equal(indexer.ingest(forged), false)
    const wrongSig = { ...(await capabilityEvent(node.signer, { name: 'y' })), sig: node.events[0]!.sig }
    assert.equal(indexer.ingest(wrongSig), false)
    const tampered = { ...(await heartbeatEvent(testSigner('mallory'))), content: '{"v":1}' }
    assert.equal(indexer.ingest(tampered), false)
    // Correctly signed but the content does not match the schema.
    const badContent = finalizeEvent({ kind: 13830, created_at: Math.floor(Date.now() / 1000), tags: [['expiration', String(Math.floor(Date.now() / 1000) + 90)]], content: '{"v":2}' }, testSigner('mallory').secretKey)
    assert.equal(indexer.ingest(badContent), false)
    assert.equal(indexer.ingest('not an event'), false)
    assert.equal(indexer.ingest({ kind: 1, id: 'x' }), false)
    indexer.flush()
    assert.equal(market.nodes.size, 1)
    assert.equal(db.nodeEvents().length, 2)
    assert.equal(indexer.counters.duplicates, 1)
    assert.equal(indexer.counters.rejected['33830:bad-id'], 1)
    assert.equal(indexer.counters.rejected['33830:bad-signature'], 1)
    assert.equal(indexer.counters.rejected['13830:bad-id'], 1, JSON.stringify(indexer.counters.rejected))
    assert.equal(indexer.counters.rejected['13830:bad-content'], 1)
    assert.equal(Object.values(indexer.counters.rejected).reduce((a, b) => a + b, 0), 6)
  })

  it('keeps the newest replaceable events, measures stats from results and statuses, and rebuilds from its cache', async (t) => {
    const dir = tempDir()
    t.after(() => dir.remove())
    const path = `${dir.path}/c.db`
    const db = openCoordinatorDb(path)
    const market = new MarketIndex()
    const indexer = createIndexer({ db, market })
    const node = testSigner('stats-node')
    const client = testSigner('stats-client').pubkey
    const now = Math.floor(Date.now() / 1000)
    indexer.ingest(await heartbeatEvent(node, { free: 1, now }))
    indexer.ingest(await capabilityEvent(node, { now }))
    indexer.ingest(await heartbeatEvent(node, { free: 3, now: now - 5 })) // older: ignored
    indexer.ingest(await resultEvent(node, { job: jobId(1), client, ttftMs: 100, durationMs: 1100, completion: 50 }))
    indexer.ingest(await resultEvent(node, { job: jobId(2), client, ttftMs: 300, durationMs: 2300, completion: 50 }))
    indexer.ingest(await errorStatusEvent(node, { job: jobId(3), client, code: 'backend' }))
    indexer.ingest(await errorStatusEvent(node, { job: jobId(4), client, code: 'busy' })) // a refusal, not a failure
    // A result for job 1 signed by another key is ignored (job 1 belongs to `node`).
    indexer.ingest(await resultEvent(testSigner('intruder'), { job: jobId(1), client }))
    indexer.flush()
    const entry = market.nodes.get(node.pubkey)!
    assert.equal(entry.heartbeat!.slots.free, 1)
    assert.deepEqual(summarizeStats(entry.stats), { jobs: 3, successRate: 2 / 3, avgTtftMs: 200, avgTps: 37.5 })
    assert.equal(db.getJob(jobId(1))!.node, node.pubkey)
    assert.equal(db.getJob(jobId(3))!.outcome, 'failure')
    assert.equal(db.getJob(jobId(4))!.outcome, 'refused')
    assert.equal(market.stats.get(testSigner('intruder').pubkey), undefined)
    db.close()

    const db2 = openCoordinatorDb(path)
    t.after(() => db2.close())
    const market2 = new MarketIndex()
    createIndexer({ db: db2, market: market2 })
    const again = market2.nodes.get(node.pubkey)!
    assert.equal(again.heartbeat!.slots.free, 1)
    assert.deepEqual(summarizeStats(again.stats), summarizeStats(entry.stats))
  })

  it('sweeps nodes whose capability expired, in memory and in the cache', async (t) => {
    const db = openCoordinatorDb(':memory:')
    t.after(() => db.close())
    const market = new MarketIndex()
    let clock = Math.floor(Date.now() / 1000)
    const indexer = createIndexer({ db, market, now: () => clock })
    t.after(() => indexer.close())
    const node = testSigner('sweep-node')
    indexer.ingest(await capabilityEvent(node, { now: clock }))
    indexer.ingest(await heartbeatEvent(node, { now: clock }))
    indexer.flush()
    indexer.sweep()
    assert.equal(market.nodes.size, 1)
    clock += 3601
    indexer.sweep()
    assert.equal(market.nodes.size, 0)
    assert.equal(market.byModel.get('llama3')!.size, 0)
    assert.equal(db.nodeEvents().length, 0)
  })

  it('counts the last minute of results by its injected clock, not the wall clock', async (t) => {
    const db = openCoordinatorDb(':memory:')
    t.after(() => db.close())
    const market = new MarketIndex()
    // A replay far in the past: the wall clock would drop every one of these results from the window.
    let clock = 1_700_000_000
    const indexer = createIndexer({ db, market, now: () => clock })
    t.after(() => indexer.close())
    const node = testSigner('rates-node')
    indexer.ingest(await resultEvent(node, { job: jobId(1), client: testSigner('c').pubkey, completion: 60, now: clock }))
    indexer.flush()
    assert.deepEqual(indexer.rates(), { jobsPerSecond: 1 / 60, tokensPerSecond: 1, failuresPerMinute: 0 })
    clock += 61
    assert.deepEqual(indexer.rates(), { jobsPerSecond: 0, tokensPerSecond: 0, failuresPerMinute: 0 })
  })
})
