// Kind 33830, addressable: a node's offer. Publishing it is registration. See nips/capability.md.
import { z } from 'zod'
import type { Signer } from '../signer.ts'
import { getTags, isRejected, nowSeconds, reject, requireSingleTag, validateEvent, type NostrEvent, type ValidateOptions, type ValidationResult } from './event.ts'
import * as kinds from './kinds.ts'
import { modelDigest } from './modelDigest.ts'
import { featureList } from './features.ts'
import { getExpiration } from './nip40.ts'
import { address, amount, modelId, parseJsonContent, price, url } from './schema.ts'

const capabilityD = 'infernet'
/** Default lifetime; the daemon republishes at half of it. */
const capabilityTtlSeconds = 3600

export const gpuInfo = z.object({
  vendor: z.enum(['nvidia', 'amd', 'apple', 'cpu']),
  name: z.string().max(128),
  vramMiB: z.number().int().nonnegative(),
  driver: z.string().max(64).optional(),
})

export const capabilityContent = z.object({
  v: z.literal(1),
  name: z.string().max(64).optional(),
  software: z.string().max(64).optional(),
  backend: z.string().min(1).max(32),
  models: z
    .array(
      z.object({
        id: modelId,
        contextLength: z.number().int().positive().optional(),
        price: price.optional(),
        digest: modelDigest.optional(),
        /** What the model supports (src/protocol/features.ts); absent: plain text chat only. */
        features: featureList.optional(),
      }),
    )
    .min(1)
    .max(64),
  price,
  gpus: z.array(gpuInfo).max(16),
  region: z.string().max(32).optional(),
  /** Base URL of the node's stream endpoint (POST /v1/jobs SSE, GET /v1/ws), or null when not reachable. */
  stream: url.nullable(),
  maxConcurrency: z.number().int().positive().max(4096),
  /** Jobs the node holds waiting for a slot before it refuses new ones `busy` (routers count this room). */
  maxQueue: z.number().int().nonnegative().max(65_536).optional(),
  maxPromptBytes: z.number().int().positive(),
  payment: z
    .object({
      chainId: z.number().int().positive(),
      contract: address,
      token: address,
      payee: address,
      /** EIP-191 signature by `payee` over `infernet:payee:<node pubkey hex>`: links the address back to this key. */
      payeeProof: z.string().regex(/^0x[0-9a-fA-F]{130}$/),
      /** Unpaid amount (base units) the node serves a client before it wants a receipt. */
      creditLimit: amount,
    })
    .optional(),
})
export type CapabilityContent = z.infer<typeof capabilityContent>
export type Capability = CapabilityContent & { pubkey: string; createdAt: number; expiresAt: number }

/** Price a node charges for one model: the model's own price, else the node's. */
export function modelPrice(capability: CapabilityContent, model: string) {
  return capability.models.find((m) => m.id === model)?.price ?? capability.price
}

export async function buildCapability(signer: Signer, content: CapabilityContent, { now = nowSeconds(), ttl = capabilityTtlSeconds }: { now?: number; ttl?: number } = {}): Promise<NostrEvent> {
  const parsed = capabilityContent.parse(content)
  return signer.signEvent({
    kind: kinds.Capability,
    created_at: now,
    tags: [['d', capabilityD], ['expiration', String(now + ttl)], ...parsed.models.map((m) => ['m', m.id])],
    content: JSON.stringify(parsed),
  })
}

export function parseCapability(input: unknown, options: ValidateOptions = {}): ValidationResult<Capability> {
  const base = validateEvent(input, kinds.Capability, options)
  if (!base.ok) return base
  const event = base.event
  const d = requireSingleTag(event, 'd')
  if (isRejected(d)) return d
  if (d[1] !== capabilityD) return reject('bad-tag', `"d" tag must be "${capabilityD}"`)
  // Exactly one, required; validateEvent already refused a malformed value.
  const exp = requireSingleTag(event, 'expiration')
  if (isRejected(exp)) return exp
  const content = parseJsonContent(event.content, capabilityContent, 'capability')
  if (!content.ok) return content
  const tagged = new Set(getTags(event, 'm').map((t) => t[1]))
  const missing = content.data.models.find((m) => !tagged.has(m.id))
  if (missing) return reject('bad-tag', `model "${missing.id}" has no "m" tag`)
  return { ok: true, event, data: { ...content.data, pubkey: event.pubkey, createdAt: event.created_at, expiresAt: getExpiration(event)! } }
}
