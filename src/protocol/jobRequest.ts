// Kind 3830: a client's job, NIP-44 encrypted to one node. Public tags say only who it is for and when it
// expires; model, messages, parameters and bid are inside the ciphertext. See nips/job-request.md.
import { z } from 'zod'
import type { Signer } from '../signer.ts'
import { isRejected, nowSeconds, reject, requireSingleTag, utf8Length, validateEvent, type NostrEvent, type ValidateOptions, type ValidationResult } from './event.ts'
import { chatMessageV1, chatMessageV2, needsV2 } from './chatMessage.ts'
import { generationParams, needsStructuredOutput, structuredOutputFields, type GenerationParams } from './generationParams.ts'
import * as kinds from './kinds.ts'
import { getExpiration } from './nip40.ts'
import { maxJobPayloadBytes } from './limits.ts'
import { splitPayload, splitPlaintext } from './nip44.ts'
import { decryptJsonContent, hex64, modelId, price } from './schema.ts'
import { jobPayloadV3, type JobPayloadV3 } from './embeddingJob.ts'
import { chunkCipher } from './chunkCipher.ts'

/** Default lifetime of a job request: a node must start it before then, or never. */
export const jobRequestTtlSeconds = 120

export { chatMessageV1 as chatMessage } from './chatMessage.ts'
export type { ChatMessage } from './chatMessage.ts'

/**
 * The payload versions this code reads and writes: 1 (text in, text out), 2 (tools, parts, structured output) and
 * 3 (an embeddings job, src/protocol/embeddingJob.ts). A node that speaks fewer refuses the others by `v` alone.
 */
export const jobPayloadVersions = [1, 2, 3] as const
export type JobPayloadVersion = (typeof jobPayloadVersions)[number]

const tail = {
  /** The most the client pays per million tokens: the node refuses a job whose bid is below its price. */
  bid: price,
  /** 'direct': the client streams from the node's endpoint; 'relay': output comes back as chunk events. */
  transport: z.enum(['direct', 'relay']),
  /** The last message is a partial assistant reply to continue (stream resumption after a node failure). */
  continue: z.boolean().optional(),
  /** Direct-channel chunk frames sealed under a per-job key (chunkCipher.ts); absent: NIP-44 per frame. */
  chunks: z.literal(chunkCipher).optional(),
}

export const jobPayloadV1 = z.object({
  v: z.literal(1),
  model: modelId,
  messages: z.array(chatMessageV1).min(1).max(1024),
  /** Generation parameters, OpenAI-named; unknown ones are passed through to the backend (generationParams.ts). */
  params: generationParams.default({}).superRefine((params, ctx) => {
    for (const f of structuredOutputFields) {
      if (params[f] !== undefined) ctx.addIssue({ code: 'custom', path: [f], message: `${f} needs payload version 2 (a version 1 stream carries text only)` })
    }
  }),
  ...tail,
})

export const jobPayloadV2 = z.object({
  v: z.literal(2),
  model: modelId,
  messages: z.array(chatMessageV2).min(1).max(1024),
  params: generationParams.default({}),
  ...tail,
})

export const jobPayload = z.discriminatedUnion('v', [jobPayloadV1, jobPayloadV2, jobPayloadV3])
export type JobPayload = z.infer<typeof jobPayload>
export type JobPayloadV1 = z.infer<typeof jobPayloadV1>
export type JobPayloadV2 = z.infer<typeof jobPayloadV2>
export type { JobPayloadV3 }
/** A chat job's payload (versions 1 and 2): messages in, tokens out. */
export type ChatJobPayload = JobPayloadV1 | JobPayloadV2
/** A payload before its transport is chosen (the SDK picks direct or relay per attempt). */
export type UnsentJobPayload = Omit<JobPayloadV1, 'transport'> | Omit<JobPayloadV2, 'transport'> | Omit<JobPayloadV3, 'transport'>

/** The version a job needs: 2 when its messages or parameters use anything v2 adds, else 1 (old nodes serve it). */
export function payloadVersionFor(messages: readonly (z.infer<typeof chatMessageV2> | z.infer<typeof chatMessageV1>)[], params: GenerationParams | undefined): JobPayloadVersion {
  return messages.some(needsV2) || needsStructuredOutput(params) ? 2 : 1
}

/** The reason a decrypted payload is of a version this code does not speak, before its schema is read. */
export function unsupportedPayloadVersion(raw: unknown): string | undefined {
  const v = typeof raw === 'object' && raw !== null ? (raw as { v?: unknown }).v : undefined
  if ((jobPayloadVersions as readonly unknown[]).includes(v)) return undefined
  return `unsupported payload version ${typeof v === 'number' || typeof v === 'string' ? String(v).slice(0, 16) : 'missing'}: this node speaks ${jobPayloadVersions.slice(0, -1).join(', ')} and ${jobPayloadVersions.at(-1)} (nips/job-request.md)`
}
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
    precheck: (raw) => {
      const why = unsupportedPayloadVersion(raw)
      return why === undefined ? undefined : reject('unsupported-version', why)
    },
  })
  if (!checked.ok) return checked
  return { ok: true, event, data: checked.data }
}

export const jobId = hex64
