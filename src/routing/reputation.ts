// A node's reputation from what others signed (nips/reputation.md), never from its own heartbeat: the same relay
// events give every client and coordinator the same numbers. Pure: callers parse the events (results, receipts,
// rejections, verdicts) and pass them in with the reader's policy (its clock and the auditors it trusts).
//
// - A paid job is a result the node signed for a job whose client also sent the node a receipt naming that job. A
//   payer counts for at most `perPayerCap` jobs per node, so one key (a node paying itself) adds little.
// - A rejection (kind 3834) counts when its client paid this node for another job in the window: a key that never
//   paid the node weighs nothing, so fresh keys cannot sink it.
// - A verdict (kind 3835) counts when its auditor is one the reader trusts. Per (node, model), among the last 5 such
//   verdicts, the model fails its audits when fails >= max(1, ceil(0.4 x verdicts)): one fail out of one, or two out
//   of up to five, so a cheater caught once is avoided at once and one false positive among many passes is not fatal.
// - reliability = (paid + 1) / (paid + rejections + 2): Laplace's rule, 0.5 for a node nobody has used; 0 while any
//   model of the node fails its audits.
import type { AuditVerdict } from '../protocol/auditVerdict.ts'
import type { JobResult } from '../protocol/jobResult.ts'
import type { ReceiptEnvelope } from '../protocol/receipt.ts'
import type { ResultRejection } from '../protocol/resultRejection.ts'

export type ReputationEvents = {
  results: readonly Pick<JobResult, 'job' | 'node' | 'client' | 'createdAt'>[]
  receipts: readonly ReceiptEnvelope[]
  rejections: readonly Pick<ResultRejection, 'job' | 'node' | 'client' | 'createdAt'>[]
  verdicts: readonly AuditVerdict[]
}

export type ReputationPolicy = {
  /** Unix seconds. */
  now: number
  /** Events older than this are not counted (default 7 days). */
  windowSeconds?: number | undefined
  /** Auditor pubkeys whose verdicts count (a coordinator's own auditor, ones its operator names). */
  trustedAuditors: ReadonlySet<string>
  /** Most paid jobs one payer adds to one node (default 50). */
  perPayerCap?: number | undefined
}

export type ModelAudits = { model: string; digest: string | undefined; pass: number; fail: number; failed: boolean; last: AuditVerdict }

export type NodeReputation = {
  node: string
  paidJobs: number
  payers: number
  rejections: number
  /** Rejections from keys that never paid this node: shown, not counted. */
  ignoredRejections: number
  audits: ModelAudits[]
  /** Verdicts from auditors the reader does not trust: shown, not counted. */
  untrustedVerdicts: number
  auditFailed: boolean
  reliability: number
}

export const reputationWindowSeconds = 7 * 24 * 3600
const defaultPerPayerCap = 50
const auditMemory = 5
const failShare = 0.4

/** Whether a model fails its audits, from its trusted verdicts newest first (at most the last 5 count). */
export function auditsFail(newestFirst: readonly { pass: boolean }[]): boolean {
  const last = newestFirst.slice(0, auditMemory)
  if (last.length === 0) return false
  const fails = last.filter((v) => !v.pass).length
  return fails >= Math.max(1, Math.ceil(failShare * last.length))
}

/**
 * The models a node fails its audits on, from verdicts about it (any order) and the auditors the reader trusts: the
 * rule of computeReputation for one node, for a router that keeps verdicts as they come.
 */
export function failedModels(verdicts: readonly VerdictLike[], trusted: ReadonlySet<string>): Set<string> {
  const failed = new Set<string>()
  for (const [model, newest] of trustedByModel(verdicts, trusted)) if (auditsFail(newest)) failed.add(model)
  return failed
}

type VerdictLike = { auditor: string; model: string; pass: boolean; createdAt: number }

/** One node's verdicts from trusted auditors, per model, newest first: what the audit rule reads. */
function trustedByModel<V extends VerdictLike>(verdicts: readonly V[], trusted: ReadonlySet<string>): Map<string, V[]> {
  const byModel = new Map<string, V[]>()
  for (const v of verdicts) if (trusted.has(v.auditor)) byModel.set(v.model, [...(byModel.get(v.model) ?? []), v])
  for (const list of byModel.values()) list.sort((a, b) => b.createdAt - a.createdAt)
  return byModel
}

function entry(map: Map<string, NodeReputation>, node: string): NodeReputation {
  let r = map.get(node)
  if (!r) {
    r = { node, paidJobs: 0, payers: 0, rejections: 0, ignoredRejections: 0, audits: [], untrustedVerdicts: 0, auditFailed: false, reliability: 0.5 }
    map.set(node, r)
  }
  return r
}

export function computeReputation(events: ReputationEvents, policy: ReputationPolicy): Map<string, NodeReputation> {
  const since = policy.now - (policy.windowSeconds ?? reputationWindowSeconds)
  const cap = policy.perPayerCap ?? defaultPerPayerCap
  const recent = <T extends { createdAt: number }>(list: readonly T[]) => list.filter((e) => e.createdAt >= since && e.createdAt <= policy.now + 900)
  const out = new Map<string, NodeReputation>()

  // Who paid which node for which job: receipt (client, node, job) pairs.
  const paidFor = new Set<string>()
  const payersOf = new Map<string, Set<string>>()
  for (const r of recent(events.receipts)) {
    if (!r.job) continue
    paidFor.add(`${r.node}:${r.client}:${r.job}`)
  }
  const counted = new Map<string, number>()
  const seenJobs = new Set<string>()
  for (const res of recent(events.results)) {
    const key = `${res.node}:${res.client}:${res.job}`
    if (!paidFor.has(key) || seenJobs.has(key)) continue
    seenJobs.add(key)
    const per = `${res.node}:${res.client}`
    const n = counted.get(per) ?? 0
    if (n >= cap) continue
    counted.set(per, n + 1)
    const rep = entry(out, res.node)
    rep.paidJobs++
    const payers = payersOf.get(res.node) ?? new Set<string>()
    payersOf.set(res.node, payers)
    if (!payers.has(res.client)) {
      payers.add(res.client)
      rep.payers++
    }
  }

  const rejected = new Set<string>()
  for (const rej of recent(events.rejections)) {
    const key = `${rej.node}:${rej.client}:${rej.job}`
    if (rejected.has(key)) continue
    rejected.add(key)
    const rep = entry(out, rej.node)
    if (payersOf.get(rej.node)?.has(rej.client)) rep.rejections++
    else rep.ignoredRejections++
  }

  const byNode = new Map<string, AuditVerdict[]>()
  for (const v of recent(events.verdicts)) {
    const rep = entry(out, v.node)
    if (!policy.trustedAuditors.has(v.auditor)) rep.untrustedVerdicts++
    else byNode.set(v.node, [...(byNode.get(v.node) ?? []), v])
  }
  for (const [node, verdicts] of byNode) {
    const rep = entry(out, node)
    for (const newest of trustedByModel(verdicts, policy.trustedAuditors).values()) {
      const last = newest[0]!
      const counted5 = newest.slice(0, auditMemory)
      const audits: ModelAudits = {
        model: last.model,
        digest: last.digest,
        pass: counted5.filter((v) => v.pass).length,
        fail: counted5.filter((v) => !v.pass).length,
        failed: auditsFail(newest),
        last,
      }
      rep.audits.push(audits)
      if (audits.failed) rep.auditFailed = true
    }
  }

  for (const rep of out.values()) {
    rep.audits.sort((a, b) => a.model.localeCompare(b.model))
    rep.reliability = rep.auditFailed ? 0 : (rep.paidJobs + 1) / (rep.paidJobs + rep.rejections + 2)
  }
  return out
}
