// The reputation function (nips/reputation.md) from test/vectors/audit.json's scenario, and the rules that keep fresh
// keys from sinking a node: a stranger's rejection and an untrusted auditor's verdict are shown but not counted.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import type { AuditVerdict } from '../../src/protocol/auditVerdict.ts'
import { auditsFail, computeReputation, type ReputationEvents } from '../../src/routing/reputation.ts'

const vectors = JSON.parse(readFileSync(new URL('../vectors/audit.json', import.meta.url), 'utf8')) as {
  reputation: { events: ReputationEvents; policy: { now: number; trustedAuditors: string[] }; expected: { node: string }[] }
}

test('the scenario of the vectors: every reader computes the same numbers', () => {
  const { events, policy, expected } = vectors.reputation
  const got = computeReputation(events, { now: policy.now, trustedAuditors: new Set(policy.trustedAuditors) })
  for (const want of expected) {
    const r = got.get(want.node)!
    const { audits: _audits, ...numbers } = r
    assert.deepEqual(numbers, want)
  }
  assert.equal(got.size, expected.length)
})

test('a cheater caught once is avoided at once; one false positive among passes is not fatal', () => {
  const v = (pass: boolean) => ({ pass })
  assert.equal(auditsFail([v(false)]), true)
  assert.equal(auditsFail([v(false), v(true), v(true), v(true), v(true)]), false, 'one fail in five')
  assert.equal(auditsFail([v(false), v(true), v(false), v(true), v(true)]), true, 'two in five')
  assert.equal(auditsFail([v(true), v(true), v(true), v(true), v(true), v(false), v(false)]), false, 'only the last five count')
  assert.equal(auditsFail([]), false)
})

test('a sybil army of fresh keys cannot sink an honest node; old events fall out of the window', () => {
  const node = 'a'.repeat(64)
  const honestPayer = 'b'.repeat(64)
  const trusted = 'c'.repeat(64)
  const job = (n: number) => n.toString(16).padStart(64, '0')
  const now = 2_000_000_000
  const events: ReputationEvents = {
    results: [{ job: job(1), node, client: honestPayer, createdAt: now - 10 }],
    receipts: [{ job: job(1), node, client: honestPayer, createdAt: now - 9 }],
    rejections: Array.from({ length: 100 }, (_, i) => ({ job: job(100 + i), node, client: (i + 1).toString(16).padStart(64, 'f'), createdAt: now - 5 })),
    verdicts: Array.from({ length: 20 }, (_, i): AuditVerdict => ({
      auditor: (i + 1).toString(16).padStart(64, 'e'), node, model: 'tiny-a', digest: undefined, jobs: [job(300 + i)], method: 'greedy-prefix', score: 1, threshold: 0.25, pass: false, samples: 50, reference: { kind: 'node', pubkey: 'd'.repeat(64) }, createdAt: now - 4,
    })),
  }
  const r = computeReputation(events, { now, trustedAuditors: new Set([trusted]) }).get(node)!
  assert.equal(r.rejections, 0)
  assert.equal(r.ignoredRejections, 100)
  assert.equal(r.untrustedVerdicts, 20)
  assert.equal(r.auditFailed, false)
  assert.equal(r.reliability, 2 / 3)
  const later = computeReputation(events, { now: now + 8 * 24 * 3600, trustedAuditors: new Set([trusted]) })
  assert.equal(later.size, 0, 'a week later nothing counts')
})
