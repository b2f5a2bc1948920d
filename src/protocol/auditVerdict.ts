// Kind 3835: an auditor's signed verdict on one node and one model: whether the outputs of the audited jobs match a
// reference (another node serving the same digest, or the auditor's own engine) under the method the verdict names.
// Public: node, model, digest, the audited job ids, method, score, threshold, pass/fail and sample size; no prompt
// and no output. A verdict is a claim: readers count it as much as the reputation function says its auditor weighs
// (nips/reputation.md), so a fresh key cannot sink a node. See nips/audit-verdict.md.
import type { Signer } from '../signer.ts'
import { isRejected, nowSeconds, reject, requireSingleTag, validateEvent, type NostrEvent, type ValidateOptions, type ValidationResult } from './event.ts'
import * as kinds from './kinds.ts'
import { auditMethods, type AuditMethod } from './auditMethod.ts'
import { modelDigest } from './modelDigest.ts'
import { modelId } from './schema.ts'

/** Most jobs one verdict may name (its sample). */
export const maxAuditedJobs = 16

export type AuditReference = { kind: 'node'; pubkey: string } | { kind: 'engine'; digest: string }

export type AuditVerdict = {
  auditor: string
  node: string
  model: string
  /** The weights the node announced for the model, which the verdict is about; absent when it announced none. */
  digest: string | undefined
  jobs: string[]
  method: AuditMethod
  /** The method's statistic (0 = same as the reference, 1 = nothing in common). */
  score: number
  threshold: number
  pass: boolean
  /** Units the score was computed over (characters of output compared, for greedy-prefix). */
  samples: number
  reference: AuditReference
  createdAt: number
}

export type BuildAuditVerdictParameters = Omit<AuditVerdict, 'auditor' | 'createdAt' | 'pass'> & { now?: number | undefined }

const hex64 = /^[0-9a-f]{64}$/
const decimal = /^(0|1|0\.\d{1,6}|1\.0{1,6})$/
const int = /^\d{1,9}$/

/** A score or threshold as the tag carries it: a decimal in [0, 1], at most 6 places. */
export function formatUnit(x: number): string {
  if (!(x >= 0 && x <= 1)) throw new RangeError(`expected a number in [0, 1], got ${x}`)
  return String(Math.round(x * 1e6) / 1e6)
}

/** The verdict is `fail` exactly when the score is above the threshold: a reader recomputes it and refuses a mismatch. */
export function verdictOf(score: number, threshold: number): boolean {
  return score <= threshold
}

export async function buildAuditVerdict(signer: Signer, p: BuildAuditVerdictParameters): Promise<NostrEvent> {
  if (p.jobs.length === 0 || p.jobs.length > maxAuditedJobs) throw new RangeError(`a verdict names 1 to ${maxAuditedJobs} jobs, got ${p.jobs.length}`)
  const score = formatUnit(p.score)
  const threshold = formatUnit(p.threshold)
  const tags: string[][] = [
    ['p', p.node],
    ['model', p.model],
    ...(p.digest ? [['digest', p.digest]] : []),
    ...p.jobs.map((j) => ['e', j]),
    ['method', p.method],
    ['score', score],
    ['threshold', threshold],
    ['verdict', verdictOf(Number(score), Number(threshold)) ? 'pass' : 'fail'],
    ['samples', String(p.samples)],
    p.reference.kind === 'node' ? ['reference', 'node', p.reference.pubkey] : ['reference', 'engine', p.reference.digest],
  ]
  return signer.signEvent({ kind: kinds.AuditVerdict, created_at: p.now ?? nowSeconds(), tags, content: '' })
}

export function parseAuditVerdict(input: unknown, options: ValidateOptions = {}): ValidationResult<AuditVerdict> {
  const base = validateEvent(input, kinds.AuditVerdict, options)
  if (!base.ok) return base
  const ev = base.event
  const p = requireSingleTag(ev, 'p', hex64)
  if (isRejected(p)) return p
  const model = requireSingleTag(ev, 'model')
  if (isRejected(model)) return model
  if (!modelId.safeParse(model[1]).success) return reject('bad-tag', '"model" tag needs a model id')
  const digests = ev.tags.filter((t) => t[0] === 'digest')
  if (digests.length > 1) return reject('duplicate-tag', `"digest" tag appears ${digests.length} times, expected at most once`)
  if (digests[0] && !modelDigest.safeParse(digests[0][1]).success) return reject('bad-tag', '"digest" tag needs sha256:<64 hex> or ollama:<64 hex>')
  const jobs = ev.tags.filter((t) => t[0] === 'e').map((t) => t[1] ?? '')
  if (jobs.length === 0 || jobs.length > maxAuditedJobs) return reject('bad-tag', `a verdict names 1 to ${maxAuditedJobs} audited jobs ("e" tags), got ${jobs.length}`)
  if (!jobs.every((j) => hex64.test(j)) || new Set(jobs).size !== jobs.length) return reject('bad-tag', '"e" tags need distinct job ids')
  const method = requireSingleTag(ev, 'method')
  if (isRejected(method)) return method
  if (!(auditMethods as readonly string[]).includes(method[1]!)) return reject('bad-tag', `unknown audit method "${method[1]!.slice(0, 32)}"`)
  const unit = (name: string) => {
    const t = requireSingleTag(ev, name, decimal)
    return isRejected(t) ? t : Number(t[1])
  }
  const score = unit('score')
  if (typeof score !== 'number') return score
  const threshold = unit('threshold')
  if (typeof threshold !== 'number') return threshold
  const verdict = requireSingleTag(ev, 'verdict', /^(pass|fail)$/)
  if (isRejected(verdict)) return verdict
  const pass = verdict[1] === 'pass'
  if (pass !== verdictOf(score, threshold)) return reject('bad-tag', `verdict "${verdict[1]}" contradicts score ${score} against threshold ${threshold}`)
  const samples = requireSingleTag(ev, 'samples', int)
  if (isRejected(samples)) return samples
  const ref = requireSingleTag(ev, 'reference')
  if (isRejected(ref)) return ref
  let reference: AuditReference
  if (ref[1] === 'node' && hex64.test(ref[2] ?? '')) reference = { kind: 'node', pubkey: ref[2]! }
  else if (ref[1] === 'engine' && modelDigest.safeParse(ref[2]).success) reference = { kind: 'engine', digest: ref[2]! }
  else return reject('bad-tag', '"reference" tag is ["reference", "node", <pubkey>] or ["reference", "engine", <digest>]')
  if (reference.kind === 'node' && reference.pubkey === p[1]) return reject('bad-tag', 'a node cannot be its own reference')
  return {
    ok: true,
    event: ev,
    data: {
      auditor: ev.pubkey,
      node: p[1]!,
      model: model[1]!,
      digest: digests[0]?.[1],
      jobs,
      method: method[1] as AuditMethod,
      score,
      threshold,
      pass,
      samples: Number(samples[1]),
      reference,
      createdAt: ev.created_at,
    },
  }
}
