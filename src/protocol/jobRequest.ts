// Kind 3830: a client's job, NIP-44 encrypted to one node. Public tags say only who it is for and when it
// expires; model, messages, parameters and bid are inside the ciphertext. See nips/job-request.md.
import { z } from 'zod'
import type { Signer } from '../signer.ts'
import { isRejected, nowSeconds, reject, requireSingleTag, utf8Length, validateEvent, type NostrEvent, type ValidateOptions, type ValidationResult } from './event.ts'
import { generationParams } from './generationParams.ts'
import * as kinds from './kinds.ts'
import { getExpiration } from './nip40.ts'
import { maxJobPayloadBytes } from './limits.ts'
import { splitPayload, splitPlaintext } from './nip44.ts'
import { decryptJsonContent, hex64, modelId, price } from './schema.ts'

/** Default lifetime of a job request: a node must start it before then, or never. */
export const jobRequestTtlSeconds = 120

export const chatMessage = z.object({ role: z.enum(['system', 'user', 'assistant', 'tool']), content: z.string() })
export type ChatMessage = z.infer<typeof chatMessage>

export const jobPayload = z.object({
  v: z.literal(1),
  model: modelId,
  messages: z.array(chatMessage).min(1).max(1024),
  /** Generation parameters, OpenAI-named; unknown ones are passed through to the backend (generationParams.ts). */
  params: generationParams.default({}),
  /** The most the client pays per million tokens: the node refuses a job whose bid is below its price. */
  bid: price,
  /** 'direct': the client streams from the node's endpoint; 'relay': output comes back as chunk events. */
  transport: z.enum(['direct', 'relay']),
  /** The last message is a partial assistant reply to continue (stream resumption after a node failure). */
  continue: z.boolean().optional(),
})
export type JobPayload = z.infer<typeof jobPayload>
export type JobRequest = { id: string; client: string; node: string; createdAt: number; expiresAt: number }

export async function buildJobRequest(
  signer: Signer,
  { node, payload, now = nowSeconds(), ttl = jobRequestTtlSeconds }: { node: string; payload: JobPayload; now?: number; ttl?: number },
): Promise<NostrEvent> {
  const plaintext = JSON.stringify(jobPayload.parse(payload))
  const size = utf8Length(plaintext)
  if (size > maxJobPayloadBytes) throw new RangeError(`job payload is ${size} bytes, limit is ${maxJobPayloadBytes}`)
  return signer.signEvent({
    kind: kinds.JobRequest,
    created_at: now,
    tags: [['p', node], ['expiration', String(now + ttl)]],
    content: (await Promise.all(splitPlaintext(plaintext).map((part) => signer.nip44.encrypt(node, part)))).join(' '),
  })
}

/** Public checks: any relay, coordinator or node can run these without the node's key. */
export function parseJobRequest(input: unknown, options: ValidateOptions = {}): ValidationResult<JobRequest> {
  const base = validateEvent(input, kinds.JobRequest, options)
  if (!base.ok) return base
  const p = requireSingleTag(base.event, 'p', /^[0-9a-f]{64}$/)
  if (isRejected(p)) return p
  // Exactly one, required; validateEvent already refused a malformed value.
  const exp = requireSingleTag(base.event, 'expiration')
  if (isRejected(exp)) return exp
  if (base.event.content.length === 0) return reject('bad-content', 'job request content is empty')
  return { ok: true, event: base.event, data: { id: base.event.id, client: base.event.pubkey, node: p[1]!, createdAt: base.event.created_at, expiresAt: getExpiration(base.event)! } }
}

/** The node's side: decrypt with its signer and check the payload schema. */
export async function decryptJobRequest(event: NostrEvent, signer: Signer): Promise<ValidationResult<JobPayload>> {
  const decrypt = async () => (await Promise.all(splitPayload(event.content).map((part) => signer.nip44.decrypt(event.pubkey, part)))).join('')
  const checked = await decryptJsonContent(decrypt, jobPayload, {
    what: 'job payload',
    schemaName: 'job payload',
    maxBytes: maxJobPayloadBytes,
  })
  if (!checked.ok) return checked
  return { ok: true, event, data: checked.data }
}

export const jobId = hex64
