// Reputation in routing (nips/reputation.md, "In routing"): the coordinator computes each node's reliability from the
// paid jobs, receipts and rejections in its cache, and routing scores reliability by it wherever there is evidence,
// so a node its payers reject ranks below one they pay, whatever the node's own result events say; a free node
// (nobody's receipts, so no evidence) is still scored by the job outcomes the router saw.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { openCoordinatorDb, type JobRow } from '../../src/coordinator/db.ts'
import { MarketIndex } from '../../src/coordinator/marketIndex.ts'
import { refreshReputation } from '../../src/coordinator/reputationRefresh.ts'
import type { Capability } from '../../src/protocol/capability.ts'
import { scoreComponents, type RoutingNode } from '../../src/routing/score.ts'
import { emptyStats } from '../../src/routing/stats.ts'
import { fixedNow } from '../helpers/keys.ts'

const now = fixedNow
const key = (c: string) => c.repeat(64)
const job = (n: number) => n.toString(16).padStart(64, '0')

function row(id: string, node: string, client: string, at: number): JobRow {
  return { id, client, node, model: 'm', status: 'success', code: null, message: null, outcome: 'success', result_id: id, prompt_tokens: 1, completion_tokens: 1, amount: '0', ttft_ms: 1, duration_ms: 2, created_at: at, updated_at: at, finished_at: at }
}

test('reliability from paid jobs and payers\' rejections, not from the node\'s own results', () => {
  const db = openCoordinatorDb(':memory:')
  const market = new MarketIndex()
  const [good, bad, payer, stranger] = [key('a'), key('b'), key('c'), key('d')]
  // Both nodes signed 4 results for the payer; the payer paid all of good's, and 2 of bad's and rejected another.
  for (let i = 0; i < 4; i++) {
    db.putJob(row(job(i), good, payer, now - 100 + i))
    db.putReceipt(`r${i}`, good, payer, job(i), now - 50 + i)
    db.putJob(row(job(10 + i), bad, payer, now - 100 + i))
  }
  db.putReceipt('r10', bad, payer, job(10), now - 40)
  db.putReceipt('r11', bad, payer, job(11), now - 40)
  db.putRejection('x1', bad, payer, job(12), now - 30)
  // A stranger's rejection of good (it never paid good) counts for nothing.
  db.putRejection('x2', good, stranger, job(20), now - 30)
  refreshReputation({ db, market, now })
  assert.deepEqual(market.reputations.get(good), { reliability: 5 / 6, evidence: 4 })
  assert.deepEqual(market.reputations.get(bad), { reliability: 3 / 5, evidence: 3 })

  const capability = (pubkey: string): Capability => ({ v: 1, backend: 'fake', models: [{ id: 'm' }], price: { input: '0', output: '0' }, gpus: [], stream: null, maxConcurrency: 1, maxQueue: 0, maxPromptBytes: 1000, pubkey, createdAt: now - 600, expiresAt: now + 600 })
  const stats = { ...emptyStats(), jobs: 4, successes: 4 } // what both nodes' own results say
  const node = (pubkey: string, reputation?: RoutingNode['reputation']): RoutingNode => ({ pubkey, capability: capability(pubkey), heartbeat: undefined, stats, inflight: 0, reputation })
  const reliability = (n: RoutingNode) => scoreComponents(n, { model: 'm' }).reliability
  assert.ok(reliability(node(good, market.reputations.get(good))) > reliability(node(bad, market.reputations.get(bad))))
  // No evidence (a free node): the outcomes the router saw.
  assert.equal(reliability(node(key('e'), { reliability: 0.5, evidence: 0 })), reliability(node(key('e'))))
  db.close()
})
