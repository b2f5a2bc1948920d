// Kind 13830, replaceable: a node's live state every `interval` seconds. Relays keep only the newest per node,
// and its NIP-40 expiration (3 intervals) drops dead nodes, so storage never grows and a restarted coordinator
// reads the whole live market back with one REQ. See nips/heartbeat.md.
import { z } from 'zod'
import type { Signer } from '../signer.ts'
import { isRejected, nowSeconds, requireSingleTag, validateEvent, type NostrEvent, type ValidateOptions, type ValidationResult } from './event.ts'
import * as kinds from './kinds.ts'
import { getExpiration } from './nip40.ts'
import { modelId, parseJsonContent } from './schema.ts'

export const defaultHeartbeatIntervalSeconds = 30

export const heartbeatContent = z.object({
  v: z.literal(1),
  /** Models the node serves right now (backend healthy and model present). */
  models: z.array(modelId).max(64),
  /** Models resident in GPU memory (no load delay). */
  loaded: z.array(modelId).max(64),
  slots: z.object({ free: z.number().int().nonnegative(), total: z.number().int().positive() }),
  queue: z.number().int().nonnegative(),
  /** Measured output tokens/s per stream over recent jobs; null before the first job. */
  tps: z.number().nonnegative().nullable(),
  /** Measured time to first token (ms) over recent jobs; null before the first job. */
  ttftMs: z.number().nonnegative().nullable(),
  gpus: z.array(z.object({ utilization: z.number().min(0).max(1).nullable(), vramFreeMiB: z.number().int().nonnegative().nullable() })).max(16),
  interval: z.number().int().positive().max(3600),
  backendHealthy: z.boolean(),
})
export type HeartbeatContent = z.infer<typeof heartbeatContent>
export type Heartbeat = HeartbeatContent & { pubkey: string; createdAt: number; expiresAt: number }

export async function buildHeartbeat(signer: Signer, content: HeartbeatContent, { now = nowSeconds() }: { now?: number } = {}): Promise<NostrEvent> {
  const parsed = heartbeatContent.parse(content)
  return signer.signEvent({
    kind: kinds.Heartbeat,
    created_at: now,
    tags: [['expiration', String(now + 3 * parsed.interval)], ...parsed.models.map((m) => ['m', m])],
    content: JSON.stringify(parsed),
  })
}

export function parseHeartbeat(input: unknown, options: ValidateOptions = {}): ValidationResult<Heartbeat> {
  const base = validateEvent(input, kinds.Heartbeat, options)
  if (!base.ok) return base
  // Exactly one, required; validateEvent already refused a malformed value.
  const exp = requireSingleTag(base.event, 'expiration')
  if (isRejected(exp)) return exp
  const content = parseJsonContent(base.event.content, heartbeatContent, 'heartbeat')
  if (!content.ok) return content
  return { ok: true, event: base.event, data: { ...content.data, pubkey: base.event.pubkey, createdAt: base.event.created_at, expiresAt: getExpiration(base.event)! } }
}
