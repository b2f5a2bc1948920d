// When the coordinator's auditor checks a node (src/coordinator/auditSchedule.ts): never audited first, then after
// auditEvery jobs or intervalSeconds, never without a reference for the digest; and its reference list is checked.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { auditKey, dueAudits, parseAuditReferences, type AuditCandidate, type LastAudit } from '../../src/coordinator/auditSchedule.ts'

const d = (c: string) => `sha256:${c.repeat(64)}`

test('due: never audited first, then by jobs since or age; a digest without a reference never', () => {
  const candidates: AuditCandidate[] = [
    { node: 'fresh', model: 'm', digest: d('a'), jobs: 0 },
    { node: 'busy', model: 'm', digest: d('a'), jobs: 50 },
    { node: 'quiet', model: 'm', digest: d('a'), jobs: 11 },
    { node: 'old', model: 'm', digest: d('a'), jobs: 1 },
    { node: 'other', model: 'm', digest: d('b'), jobs: 99 },
    { node: 'nodigest', model: 'm', digest: undefined, jobs: 99 },
  ]
  const last = new Map<string, LastAudit>([
    [auditKey('busy', 'm'), { at: 990, jobs: 10 }], // 40 jobs since: 2 x auditEvery
    [auditKey('quiet', 'm'), { at: 990, jobs: 0 }], // 11 jobs since: not yet
    [auditKey('old', 'm'), { at: 0, jobs: 1 }], // 1000 s ago: 1 x interval
  ])
  const due = dueAudits({ candidates, last, references: new Set([d('a')]), auditEvery: 20, intervalSeconds: 1000, now: 1000 })
  assert.deepEqual(due.map((c) => c.node), ['fresh', 'busy', 'old'])
})

test('references: <digest>=<url> pairs; anything else is refused naming the entry', () => {
  assert.deepEqual([...parseAuditReferences([`${d('a')}=http://127.0.0.1:8080`])], [[d('a'), 'http://127.0.0.1:8080']])
  assert.throws(() => parseAuditReferences(['http://127.0.0.1:8080']), /"http:\/\/127\.0\.0\.1:8080" is not <digest>=<engine URL>/)
  assert.throws(() => parseAuditReferences([`sha256:abc=http://x`]), /is not <digest>=<engine URL>/)
  assert.throws(() => parseAuditReferences([`${d('a')}=ftp://x`]), /is not <digest>=<engine URL>/)
})
