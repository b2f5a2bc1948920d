// Kind 23831, ephemeral: the client that sent a job asks its node to stop it. Only the job's author may cancel.
import type { Signer } from '../signer.ts'
import { isRejected, nowSeconds, requireSingleTag, validateEvent, type NostrEvent, type ValidateOptions, type ValidationResult } from './event.ts'
import * as kinds from './kinds.ts'

export type JobCancel = { job: string; node: string; client: string }

export async function buildJobCancel(signer: Signer, { job, node, now = nowSeconds() }: { job: string; node: string; now?: number }): Promise<NostrEvent> {
  return signer.signEvent({
    kind: kinds.JobCancel,
    created_at: now,
    tags: [['e', job], ['p', node], ['expiration', String(now + 60)]],
    content: '',
  })
}

export function parseJobCancel(input: unknown, options: ValidateOptions = {}): ValidationResult<JobCancel> {
  const base = validateEvent(input, kinds.JobCancel, options)
  if (!base.ok) return base
  const e = requireSingleTag(base.event, 'e', /^[0-9a-f]{64}$/)
  if (isRejected(e)) return e
  const p = requireSingleTag(base.event, 'p', /^[0-9a-f]{64}$/)
  if (isRejected(p)) return p
  return { ok: true, event: base.event, data: { job: e[1]!, node: p[1]!, client: base.event.pubkey } }
}
