// Regenerates test/vectors/audit.json (nips/audit-verdict.md, nips/reputation.md): greedy-prefix scores of output
// pairs, a passing and a failing signed verdict, and a reputation scenario (parsed events, the reader's policy and the
// numbers every reader must compute from them). Scores and reputation are deterministic; the two verdict events are
// signed (BIP-340 with random aux data), so they are kept as they are unless `--sign` is given.
// Run: node --import tsx scripts/makeAuditVectors.ts [--sign]
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { greedyLogprobScore, greedyPrefixScore, greedyPrefixThreshold, logprobGapScale, type AuditToken } from '../src/protocol/auditMethod.ts'
import { buildAuditVerdict, parseAuditVerdict, type AuditVerdict } from '../src/protocol/auditVerdict.ts'
import { computeReputation, type ReputationEvents } from '../src/routing/reputation.ts'
import { fixedNow, testPubkey, testSigner } from '../test/helpers/keys.ts'

const file = new URL('../test/vectors/audit.json', import.meta.url)
const existing = (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {}) as Record<string, unknown>
const sign = process.argv.includes('--sign') || existing.verdicts === undefined

const pairs: [string, string][] = [
  ['The capital of France is Paris.', 'The capital of France is Paris.'],
  ['The capital of France is Paris. It', 'The capital of France is Paris.'],
  ['The capital of France is Lyon.', 'The capital of France is Paris.'],
  ['Paris.', 'The capital of France is Paris.'],
  ['', ''],
  ['日本の首都は東京です。', '日本の首都は京都です。'],
]
const scores = pairs.map(([audited, reference]) => ({ audited, reference, ...greedyPrefixScore(audited, reference) }))

// greedy-logprob: the same tokens and logprobs; a 0.05-nat gap (an 8-bit copy); noise of 1e-6; a divergence at the
// third of four tokens; tokens that do not spell the text; no logprobs at all.
const ref: AuditToken[] = [{ token: 'The', logprob: -0.5 }, { token: ' node', logprob: -1.25 }, { token: ' signed', logprob: -2 }, { token: '.', logprob: -0.125 }]
const shift = (tokens: AuditToken[], i: number, by: number) => tokens.map((t, j) => (j === i ? { ...t, logprob: t.logprob + by } : t))
const spell = (tokens: AuditToken[]) => tokens.map((t) => t.token).join('')
const logprobPairs: { audited: { text: string; tokens: AuditToken[] | undefined }; reference: AuditToken[] }[] = [
  { audited: { text: spell(ref), tokens: ref }, reference: ref },
  { audited: { text: spell(ref), tokens: shift(ref, 1, 0.05) }, reference: ref },
  { audited: { text: spell(ref), tokens: shift(ref, 2, -0.000001) }, reference: ref },
  { audited: { text: 'The node paid.', tokens: [ref[0]!, ref[1]!, { token: ' paid', logprob: -1.5 }, ref[3]!] }, reference: ref },
  { audited: { text: 'The node signed!', tokens: ref }, reference: ref },
  { audited: { text: spell(ref), tokens: undefined }, reference: ref },
]
const logprobScores = logprobPairs.map((p) => ({ ...p, ...greedyLogprobScore(p.audited, p.reference) }))

const auditor = testSigner('auditor')
const node = testPubkey('node')
const job = (n: number) => n.toString(16).padStart(64, '0')
const digest = `sha256:${'ab'.repeat(32)}`
const verdicts = sign
  ? {
      pass: await buildAuditVerdict(auditor, { node, model: 'tiny-a', digest, jobs: [job(1)], method: 'greedy-prefix', ...score(0), threshold: greedyPrefixThreshold, reference: { kind: 'engine', digest }, now: fixedNow }),
      fail: await buildAuditVerdict(auditor, { node, model: 'tiny-a', digest, jobs: [job(2), job(3)], method: 'greedy-prefix', ...score(3), threshold: greedyPrefixThreshold, reference: { kind: 'engine', digest }, now: fixedNow + 60 }),
    }
  : (existing.verdicts as Record<'pass' | 'fail', unknown>)

function score(i: number) {
  return { score: scores[i]!.score, samples: scores[i]!.samples }
}

// Reputation: node A has three paid jobs from two payers, one rejection from a payer and one from a stranger; node B
// is caught by a trusted auditor; a sybil auditor's fail against A does not count.
const a = testPubkey('node-a')
const b = testPubkey('node-b')
const [payer1, payer2, stranger, sybil] = ['payer-1', 'payer-2', 'stranger', 'sybil-auditor'].map(testPubkey) as [string, string, string, string]
const trusted = auditor.pubkey
const t = fixedNow
const verdict = (by: string, of: string, pass: boolean, at: number, jobId: string): AuditVerdict => ({
  auditor: by, node: of, model: 'tiny-a', digest, jobs: [jobId], method: 'greedy-prefix', score: pass ? 0 : 1, threshold: greedyPrefixThreshold, pass, samples: 120, reference: { kind: 'engine', digest }, createdAt: at,
})
const events: ReputationEvents = {
  results: [
    { job: job(10), node: a, client: payer1, createdAt: t },
    { job: job(11), node: a, client: payer1, createdAt: t + 1 },
    { job: job(12), node: a, client: payer2, createdAt: t + 2 },
    { job: job(13), node: a, client: stranger, createdAt: t + 3 }, // never paid: not counted
    { job: job(20), node: b, client: payer1, createdAt: t + 4 },
  ],
  receipts: [
    { job: job(10), node: a, client: payer1, createdAt: t + 5 },
    { job: job(11), node: a, client: payer1, createdAt: t + 6 },
    { job: job(12), node: a, client: payer2, createdAt: t + 7 },
    { job: job(20), node: b, client: payer1, createdAt: t + 8 },
    { job: undefined, node: a, client: payer2, createdAt: t + 9 }, // prepaid: pays no job of its own
  ],
  rejections: [
    { job: job(14), node: a, client: payer2, createdAt: t + 10 },
    { job: job(13), node: a, client: stranger, createdAt: t + 11 },
  ],
  verdicts: [verdict(trusted, a, true, t + 12, job(15)), verdict(sybil, a, false, t + 13, job(16)), verdict(trusted, b, false, t + 14, job(21))],
}
const policy = { now: t + 100, trustedAuditors: [trusted] }
const reputation = [...computeReputation(events, { ...policy, trustedAuditors: new Set(policy.trustedAuditors) }).values()].map((r) => ({
  node: r.node,
  paidJobs: r.paidJobs,
  payers: r.payers,
  rejections: r.rejections,
  ignoredRejections: r.ignoredRejections,
  untrustedVerdicts: r.untrustedVerdicts,
  auditFailed: r.auditFailed,
  reliability: r.reliability,
}))

for (const v of Object.values(verdicts)) if (!parseAuditVerdict(v, { now: fixedNow + 120 }).ok) throw new Error('a verdict vector does not parse')
const out = {
  description: 'Audit verdicts (kind 3835) and the reputation function (nips/audit-verdict.md, nips/reputation.md). Keys: test/helpers/keys.ts (auditor = testSigner("auditor")).',
  greedyPrefix: { threshold: greedyPrefixThreshold, scores },
  greedyLogprob: { threshold: greedyPrefixThreshold, gapScale: logprobGapScale, scores: logprobScores },
  verdicts,
  reputation: { events, policy, expected: reputation },
}
writeFileSync(file, JSON.stringify(out, null, 2) + '\n')
console.log(`wrote test/vectors/audit.json${sign ? ' (verdicts signed again)' : ''}`)
