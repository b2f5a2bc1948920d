// Audit verdicts (kind 3835) and the greedy-prefix statistic, from test/vectors/audit.json: the vectors parse, every
// reader recomputes the same scores, and a verdict that is malformed or contradicts its own score is refused.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { finalizeEvent } from 'nostr-tools/pure'
import { greedyLogprobParams, greedyLogprobScore, greedyPrefixParams, greedyPrefixScore, greedyPrefixThreshold, type AuditToken } from '../../src/protocol/auditMethod.ts'
import { buildAuditVerdict, parseAuditVerdict } from '../../src/protocol/auditVerdict.ts'
import type { NostrEvent } from '../../src/protocol/event.ts'
import { fixedNow, testPubkey, testSecretKey, testSigner } from '../helpers/keys.ts'

const vectors = JSON.parse(readFileSync(new URL('../vectors/audit.json', import.meta.url), 'utf8')) as {
  greedyPrefix: { threshold: number; scores: { audited: string; reference: string; score: number; samples: number }[] }
  greedyLogprob: { threshold: number; scores: { audited: { text: string; tokens?: AuditToken[] }; reference: AuditToken[]; score: number; samples: number }[] }
  verdicts: { pass: NostrEvent; fail: NostrEvent }
}
const opts = { now: fixedNow + 120 }

test('greedy-prefix scores: every vector pair gives the same score and sample size', () => {
  for (const s of vectors.greedyPrefix.scores) assert.deepEqual(greedyPrefixScore(s.audited, s.reference), { score: s.score, samples: s.samples }, `${s.audited} / ${s.reference}`)
  assert.deepEqual(greedyPrefixParams({ seed: 7, maxTokens: 64 }), { temperature: 0, seed: 7, max_tokens: 64 })
})

test('greedy-logprob scores: every vector pair gives the same score; a 0.05-nat gap fails, 1e-6 of noise passes', () => {
  const scores = vectors.greedyLogprob.scores
  for (const s of scores) assert.deepEqual(greedyLogprobScore({ text: s.audited.text, tokens: s.audited.tokens }, s.reference), { score: s.score, samples: s.samples })
  const pass = scores.map((s) => s.score <= greedyPrefixThreshold)
  // same, 8-bit-like gap, noise, divergence at 3 of 4, tokens not spelling the text, no logprobs
  assert.deepEqual(pass, [true, false, true, false, false, false])
  assert.deepEqual(greedyLogprobParams({ seed: 7, maxTokens: 64 }), { temperature: 0, seed: 7, max_tokens: 64, logprobs: true })
})

test('the verdict vectors parse: node, model, digest, jobs, method, score, pass/fail, reference', () => {
  const pass = parseAuditVerdict(vectors.verdicts.pass, opts)
  assert.ok(pass.ok)
  assert.equal(pass.data.auditor, testPubkey('auditor'))
  assert.equal(pass.data.node, testPubkey('node'))
  assert.equal(pass.data.pass, true)
  assert.equal(pass.data.score, 0)
  assert.deepEqual(pass.data.reference, { kind: 'engine', digest: `sha256:${'ab'.repeat(32)}` })
  const fail = parseAuditVerdict(vectors.verdicts.fail, opts)
  assert.ok(fail.ok)
  assert.equal(fail.data.pass, false)
  assert.equal(fail.data.jobs.length, 2)
  assert.equal(fail.data.samples, 31)
})

test('a verdict that is malformed, or whose pass/fail contradicts its score, is refused with a reason', async () => {
  const template = vectors.verdicts.fail
  const resign = (tags: string[][]) => finalizeEvent({ kind: 3835, created_at: template.created_at, content: '', tags }, testSecretKey('auditor'))
  const swap = (name: string, value: string[]) => template.tags.map((t) => (t[0] === name ? value : t))
  const cases: [string[][], RegExp][] = [
    [swap('verdict', ['verdict', 'pass']), /contradicts score 1 against threshold 0.25/],
    [swap('method', ['method', 'vibes']), /unknown audit method/],
    [swap('score', ['score', '1.5']), /score/],
    [template.tags.filter((t) => t[0] !== 'e'), /1 to 16 audited jobs/],
    [swap('reference', ['reference', 'node', testPubkey('node')]), /its own reference/],
    [swap('digest', ['digest', 'md5:abc']), /"digest" tag/],
  ]
  for (const [tags, reason] of cases) {
    const r = parseAuditVerdict(resign(tags), opts)
    assert.equal(r.ok, false)
    assert.match(r.ok ? '' : r.reason, reason)
  }
  const signer = testSigner('auditor')
  await assert.rejects(buildAuditVerdict(signer, { node: testPubkey('node'), model: 'm', digest: undefined, jobs: [], method: 'greedy-prefix', score: 0, threshold: 0.25, samples: 0, reference: { kind: 'node', pubkey: testPubkey('other') } }), /1 to 16 jobs/)
})
