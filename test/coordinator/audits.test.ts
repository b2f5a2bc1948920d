// The coordinator indexes audit verdicts (kind 3835) like any event: parsed at the door, newest first per node, each
// marked with whether this coordinator trusts its auditor, and shown on /api/v1/stats and the status page.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { createCoordinator } from '../../src/coordinator/app.ts'
import { buildAuditVerdict } from '../../src/protocol/auditVerdict.ts'
import type { NostrEvent } from '../../src/protocol/event.ts'
import { fixedNow, testPubkey, testSigner } from '../helpers/keys.ts'

const events = JSON.parse(readFileSync(new URL('../vectors/events.json', import.meta.url), 'utf8')) as Record<string, NostrEvent>
const audit = JSON.parse(readFileSync(new URL('../vectors/audit.json', import.meta.url), 'utf8')) as { verdicts: { pass: NostrEvent; fail: NostrEvent } }

test('verdicts are indexed per node, newest first, trusted or not, and shown on the stats API and the page', async (t) => {
  const coord = createCoordinator({ relays: [], dbPath: ':memory:', config: { gateway: false, trustedAuditors: [testPubkey('auditor')] }, now: () => fixedNow + 70 })
  t.after(() => coord.close())
  const stranger = await buildAuditVerdict(testSigner('stranger'), {
    node: testPubkey('node'), model: 'tiny-a', digest: undefined, jobs: ['9'.repeat(64)], method: 'greedy-prefix', score: 1, threshold: 0.25, samples: 10, reference: { kind: 'node', pubkey: testPubkey('other') }, now: fixedNow + 30,
  })
  for (const e of [events.capability, events.heartbeat, audit.verdicts.pass, audit.verdicts.fail, stranger]) assert.ok(coord.indexer.ingest(e), `indexed kind ${e!.kind}`)
  const forged = { ...audit.verdicts.fail, tags: audit.verdicts.fail.tags.map((tag) => (tag[0] === 'verdict' ? ['verdict', 'pass'] : tag)) }
  assert.equal(coord.indexer.ingest(forged), false, 'a verdict whose signature no longer matches is refused')
  coord.indexer.flush()

  const stats = (await (await coord.app.request('/api/v1/stats')).json()) as { top: { pubkey: string; audits: { verdict: string; trusted: boolean; auditor: string; score: number }[] }[] }
  const node = stats.top.find((n) => n.pubkey === testPubkey('node'))
  assert.ok(node, 'the audited node is listed')
  // Newest first: the trusted auditor's fail (+60 s), the stranger's fail (+30 s), the trusted pass (+0 s).
  assert.deepEqual(
    node.audits.map((a) => [a.verdict, a.trusted, a.score]),
    [
      ['fail', true, 1],
      ['fail', false, 1],
      ['pass', true, 0],
    ],
  )
  const page = await (await coord.app.request('/')).text()
  assert.match(page, /<b class="fail">fail<\/b> <small>tiny-a score 1, by [0-9a-f]{8}…<\/small>/)
  assert.match(page, /\(untrusted\)/)
})
