// Kind 3832: what a node says about a job while it runs and how it ended. Public (no prompt data), with a
// NIP-40 expiration so relays can drop them. See nips/job-status.md.
import { z } from 'zod'
import type { Signer } from '../signer.ts'
import { isRejected, nowSeconds, reject, requireSingleTag, validateEvent, type NostrEvent, type ValidateOptions, type ValidationResult } from './event.ts'
import * as kinds from './kinds.ts'
import { parseJsonContent } from './schema.ts'

export const jobStatuses = ['queued', 'processing', 'error', 'success', 'cancelled'] as const
export type JobStatusName = (typeof jobStatuses)[number]

/** Why a node refused or stopped a job; stable strings that clients switch on. */
export const jobErrorCodes = [
  'invalid', // event failed validation (signature, id, tags)
  'expired', // job request expired before it could start
  'duplicate', // this job id already ran or is running
  'undecryptable', // payload could not be decrypted with the node's key
  'bad-payload', // decrypted payload does not match the schema
  'unknown-model', // the node does not serve this model
  'too-large', // prompt over the node's maxPromptBytes
  'bid-too-low', // the bid is below the node's price
  'busy', // no free slot and the queue is full
  'backend', // the backend failed (down, loading, hung, died mid-stream)
  'payment', // receipt missing, invalid or over the credit limit
  'cancelled', // the client cancelled
  'internal',
] as const
export type JobErrorCode = (typeof jobErrorCodes)[number]

export const jobStatusContent = z.object({
  code: z.enum(jobErrorCodes).optional(),
  message: z.string().max(1024).optional(),
  queuePosition: z.number().int().nonnegative().optional(),
})
export type JobStatusContent = z.infer<typeof jobStatusContent>
export type JobStatus = JobStatusContent & { job: string; client: string; node: string; status: JobStatusName; createdAt: number }

const jobStatusTtlSeconds = 24 * 3600

export async function buildJobStatus(
  signer: Signer,
  { job, client, status, content = {}, now = nowSeconds() }: { job: string; client: string; status: JobStatusName; content?: JobStatusContent; now?: number },
): Promise<NostrEvent> {
  if (status === 'error' && !content.code) throw new TypeError('an error status needs a code')
  return signer.signEvent({
    kind: kinds.JobStatus,
    created_at: now,
    tags: [['e', job], ['p', client], ['status', status], ['expiration', String(now + jobStatusTtlSeconds)]],
    content: JSON.stringify(jobStatusContent.parse(content)),
  })
}

export function parseJobStatus(input: unknown, options: ValidateOptions = {}): ValidationResult<JobStatus> {
  const base = validateEvent(input, kinds.JobStatus, options)
  if (!base.ok) return base
  const e = requireSingleTag(base.event, 'e', /^[0-9a-f]{64}$/)
  if (isRejected(e)) return e
  const p = requireSingleTag(base.event, 'p', /^[0-9a-f]{64}$/)
  if (isRejected(p)) return p
  const s = requireSingleTag(base.event, 'status')
  if (isRejected(s)) return s
  if (!(jobStatuses as readonly string[]).includes(s[1]!)) return reject('bad-tag', `unknown status "${s[1]}"`)
  const content = parseJsonContent(base.event.content, jobStatusContent, 'job status')
  if (!content.ok) return content
  if (s[1] === 'error' && !content.data.code) return reject('bad-content', 'an error status must carry a code')
  return {
    ok: true,
    event: base.event,
    data: { ...content.data, job: e[1]!, client: p[1]!, node: base.event.pubkey, status: s[1] as JobStatusName, createdAt: base.event.created_at },
  }
}
