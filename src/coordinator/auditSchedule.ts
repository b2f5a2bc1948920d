// Which node and model the coordinator's auditor checks next (nips/audit-verdict.md, "The coordinator's auditor").
// Pure: from what the index holds (each node's models and digests, its job count from others' signed events, the
// coordinator's own past verdicts) and the references it has (an engine per digest). A pair is due when it has never
// been audited by this coordinator, when it has served `auditEvery` jobs since the last audit (so audits stay about
// 1 / (auditEvery + 1) of a busy node's jobs: 4.8% at the default 20), or when the last audit is older than
// `intervalSeconds` (an idle node is still checked now and then). Most overdue first; a pair without a reference
// for its digest is never due (there is nothing to compare with).

import { modelDigest } from '../protocol/modelDigest.ts'

export type AuditCandidate = { node: string; model: string; digest: string | undefined; jobs: number }

/** This auditor's last audit of a pair: when, and the node's job count then. */
export type LastAudit = { at: number; jobs: number }

export type AuditScheduleParameters = {
  candidates: readonly AuditCandidate[]
  last: ReadonlyMap<string, LastAudit>
  /** Digests the auditor holds a reference engine for. */
  references: ReadonlySet<string>
  auditEvery: number
  intervalSeconds: number
  now: number
}

export const auditKey = (node: string, model: string): string => `${node}\0${model}`

/** The due pairs, most overdue first: never audited, then by jobs since the audit, then by age. */
export function dueAudits(p: AuditScheduleParameters): AuditCandidate[] {
  const due: { c: AuditCandidate; rank: number }[] = []
  for (const c of p.candidates) {
    if (!c.digest || !p.references.has(c.digest)) continue
    const last = p.last.get(auditKey(c.node, c.model))
    if (!last) {
      due.push({ c, rank: Infinity })
      continue
    }
    const byJobs = (c.jobs - last.jobs) / p.auditEvery
    const byAge = (p.now - last.at) / p.intervalSeconds
    const rank = Math.max(byJobs, byAge)
    if (rank >= 1) due.push({ c, rank })
  }
  return due.sort((a, b) => b.rank - a.rank).map((d) => d.c)
}

/** INFERNET_AUDIT_REFERENCES entries, `<digest>=<engine URL>`: the reference engine for each digest. */
export function parseAuditReferences(entries: readonly string[]): Map<string, string> {
  const out = new Map<string, string>()
  for (const entry of entries) {
    const at = entry.indexOf('=')
    const digest = entry.slice(0, Math.max(at, 0))
    const url = entry.slice(at + 1)
    if (at < 0 || !modelDigest.safeParse(digest).success || !/^https?:\/\/\S+$/.test(url)) {
      throw new Error(`INFERNET_AUDIT_REFERENCES: "${entry.slice(0, 120)}" is not <digest>=<engine URL> (sha256:<64 hex>=http://host:port)`)
    }
    out.set(digest, url)
  }
  return out
}
