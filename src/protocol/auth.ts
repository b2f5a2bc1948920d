// NIP-98-style request auth for the node's stream endpoint: a kind 27235 event that binds the absolute URL,
// the method, the sha256 of the raw body and a fresh timestamp. A ReplayGuard remembers accepted ids for the
// length of the window, so the same auth event never works twice. See nips/stream.md.
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { base64 } from '@scure/base'
import type { Signer } from '../signer.ts'
import { getTagValue, nowSeconds, reject, validateEvent, type NostrEvent, type Rejected, type ValidateOptions, type ValidationResult } from './event.ts'
import * as kinds from './kinds.ts'

export const authWindowSeconds = 60
const encoder = new TextEncoder()

export function sha256Hex(body: string | Uint8Array): string {
  return bytesToHex(sha256(typeof body === 'string' ? encoder.encode(body) : body))
}

export type AuthBinding = {
  url: string
  method: string
  /** Raw request body; for WebSocket job frames, the job event id stands in as the payload hash. */
  body?: string | Uint8Array | undefined
  payloadHash?: string | undefined
  /**
   * A WebSocket connection auth (nips/stream.md, "Connection auth"): it authenticates the connection, not one
   * request, so it must carry no `payload` tag; a per-job auth event can then never stand in for one.
   */
  connection?: boolean | undefined
}

function payloadOf(binding: AuthBinding): string | undefined {
  if (binding.payloadHash) return binding.payloadHash
  if (binding.body !== undefined && binding.body.length > 0) return sha256Hex(binding.body)
  return undefined
}

export async function buildAuthEvent(signer: Signer, binding: AuthBinding & { now?: number }): Promise<NostrEvent> {
  const payload = binding.connection ? undefined : payloadOf(binding)
  // A connection auth binds no payload: a random nonce keeps two connections opened in the same second from
  // signing the same event (the second would be refused as a replay).
  const nonce = binding.connection ? [['nonce', bytesToHex(crypto.getRandomValues(new Uint8Array(16)))]] : []
  return signer.signEvent({
    kind: kinds.HttpAuth,
    created_at: binding.now ?? nowSeconds(),
    tags: [['u', binding.url], ['method', binding.method.toUpperCase()], ...(payload ? [['payload', payload]] : []), ...nonce],
    content: '',
  })
}

export function encodeAuthHeader(event: NostrEvent): string {
  return `Nostr ${base64.encode(encoder.encode(JSON.stringify(event)))}`
}

export function decodeAuthHeader(header: string | null | undefined): NostrEvent | Rejected {
  if (!header) return reject('missing-tag', 'missing Authorization header')
  const match = /^Nostr\s+([A-Za-z0-9+/=]+)$/.exec(header.trim())
  if (!match) return reject('malformed', 'Authorization header must be "Nostr <base64 event>"')
  try {
    return JSON.parse(new TextDecoder().decode(base64.decode(match[1]!))) as NostrEvent
  } catch {
    return reject('malformed', 'Authorization header is not base64 of a JSON event')
  }
}

/** Remembers accepted auth event ids until they would fail the time window anyway. */
export class ReplayGuard {
  #seen = new Map<string, number>()
  readonly #maxEntries: number
  constructor({ maxEntries = 100_000 }: { maxEntries?: number } = {}) {
    this.#maxEntries = maxEntries
  }
  /** Returns false if `id` was seen before; otherwise records it (valid until `expiresAt`). */
  claim(id: string, expiresAt: number, now: number): boolean {
    if (this.#seen.size >= this.#maxEntries) this.prune(now)
    if (this.#seen.has(id)) return false
    if (this.#seen.size >= this.#maxEntries) {
      // Still full of live ids: refuse rather than forget one (forgetting would allow its replay).
      return false
    }
    this.#seen.set(id, expiresAt)
    return true
  }
  prune(now: number): void {
    for (const [id, exp] of this.#seen) if (exp <= now) this.#seen.delete(id)
  }
  get size(): number {
    return this.#seen.size
  }
}

export type VerifyAuthOptions = ValidateOptions & { windowSeconds?: number | undefined; replay?: ReplayGuard | undefined }

export function verifyAuthEvent(input: unknown, binding: AuthBinding, options: VerifyAuthOptions = {}): ValidationResult<{ pubkey: string }> {
  const now = options.now ?? nowSeconds()
  const window = options.windowSeconds ?? authWindowSeconds
  const base = validateEvent(input, kinds.HttpAuth, { ...options, now })
  if (!base.ok) return base
  const ev = base.event
  if (Math.abs(now - ev.created_at) > window) return reject('expired', `auth event is ${now - ev.created_at}s old, window is ±${window}s`)
  if (getTagValue(ev, 'u') !== binding.url) return reject('bad-tag', `auth "u" tag does not match ${binding.url}`)
  if ((getTagValue(ev, 'method') ?? '').toUpperCase() !== binding.method.toUpperCase()) return reject('bad-tag', `auth "method" tag does not match ${binding.method}`)
  const expected = payloadOf(binding)
  const payload = getTagValue(ev, 'payload')
  if (binding.connection && payload !== undefined) return reject('bad-tag', 'a connection auth event has no "payload" tag')
  if (expected !== undefined && payload !== expected) return reject('bad-tag', 'auth "payload" tag does not match the sha256 of the body')
  if (options.replay && !options.replay.claim(ev.id, ev.created_at + window + 1, now)) return reject('replayed', 'auth event was already used')
  return { ok: true, event: ev, data: { pubkey: ev.pubkey } }
}
