// What audits found about a node, as the status page and GET /api/v1/stats show it: the audit verdicts (kind 3835,
// nips/audit-verdict.md) the indexer read from relays, newest first, each marked with whether this coordinator trusts
// its auditor (nips/reputation.md: only those count; the others are shown so anyone can see them).
import type { AuditVerdict } from '../protocol/auditVerdict.ts'

export type AuditResult = {
  /** Id of the signed verdict event. */
  id: string
  /** Hex pubkey of the auditor that signed it. */
  auditor: string
  /** Whether this coordinator trusts that auditor (INFERNET_TRUSTED_AUDITORS, and its own key). */
  trusted: boolean
  /** Model id the audit checked, and the digest the node announced for it. */
  model: string
  digest: string | null
  /** 'pass' or 'fail', as the event states it (and its score and threshold agree). */
  verdict: 'pass' | 'fail'
  method: string
  score: number
  threshold: number
  jobs: number
  /** The verdict event's created_at (unix seconds). */
  at: number
}

/** Most verdicts kept per node (newest first). */
export const maxAuditsPerNode = 20

export function auditResult(id: string, v: AuditVerdict, trusted: ReadonlySet<string>): AuditResult {
  return {
    id,
    auditor: v.auditor,
    trusted: trusted.has(v.auditor),
    model: v.model,
    digest: v.digest ?? null,
    verdict: v.pass ? 'pass' : 'fail',
    method: v.method,
    score: v.score,
    threshold: v.threshold,
    jobs: v.jobs.length,
    at: v.createdAt,
  }
}

/** `list` with `result` in its place (newest first), without a duplicate, at most maxAuditsPerNode long. */
export function withAudit(list: readonly AuditResult[], result: AuditResult): AuditResult[] {
  if (list.some((a) => a.id === result.id)) return [...list]
  return [...list, result].sort((a, b) => b.at - a.at || a.id.localeCompare(b.id)).slice(0, maxAuditsPerNode)
}
