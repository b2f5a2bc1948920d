// NIP-98-style request auth for the node's stream endpoint: a kind 27235 event that binds the absolute URL,
// the method, the sha256 of the raw body and a fresh timestamp. A ReplayGuard remembers accepted ids for the
// length of the window, so the same auth event never works twice. See nips/stream.md, "Authentication".
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { base64 } from '@scure/base'
import type { Signer } from '../signer.ts'
import { getTagValue, nowSeconds, reject, validateEvent, type NostrEvent, type Rejected, type ValidateOptions, type ValidationResult } from './event.ts'
import * as kinds from './kinds.ts'

/**
 * How old an auth event may be, and how far ahead of the verifier's clock. Every accepted id is remembered until
 * it is older than the window, so the two together bound how long (46 s) one auth event holds a place in the
 * replay guard; a signer is expected to date the event when it sends it.
 */
export const authWindowSeconds = 30
export const authMaxFutureSeconds = 15
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

export type ReplayClaim = { ok: true } | { ok: false; code: 'replayed' | 'rate-limited'; reason: string }

export type ReplayGuardParameters = {
  /** Live auth ids remembered in all; a full guard refuses new ones (it never forgets a live id: that would allow its replay). */
  maxEntries?: number | undefined
  /**
   * Live auth ids remembered per author. One key that floods the guard fills only its own share: it cannot evict
   * another key's ids nor, below `maxEntries`, block another key's auth.
   */
  maxPerKey?: number | undefined
}

/**
 * Remembers accepted auth event ids, per author, until they would fail the time window anyway. A refusal says
 * why: `replayed` for an id seen before, `rate-limited` (with when to retry) when the author's share or the whole
 * guard is full of live ids.
 */
export class ReplayGuard {
  readonly #byKey = new Map<string, Map<string, number>>()
  #size = 0
  readonly #maxEntries: number
  readonly #maxPerKey: number
  /** When the whole guard was last swept, and the soonest expiry it then held (for the retry hint). */
  #sweptAt = -Infinity
  #soonest = Infinity
  constructor({ maxEntries = 100_000, maxPerKey = 256 }: ReplayGuardParameters = {}) {
    this.#maxEntries = maxEntries
    this.#maxPerKey = maxPerKey
  }

  /** Records `event.id` (valid until `expiresAt`, unix seconds) unless it was seen before or there is no room. */
  claim(event: { id: string; pubkey: string }, expiresAt: number, now: number): ReplayClaim {
    let own = this.#byKey.get(event.pubkey)
    if (own?.has(event.id)) {
      if (own.get(event.id)! > now) return { ok: false, code: 'replayed', reason: 'invalid: auth event was already used' }
      this.#drop(event.pubkey, own, event.id)
    }
    if (own && own.size >= this.#maxPerKey) {
      const soonest = this.#sweepKey(event.pubkey, own, now)
      if (own.size >= this.#maxPerKey) {
        return { ok: false, code: 'rate-limited', reason: `rate-limited: this key has ${own.size} auth events in use (at most ${this.#maxPerKey}); retry in ${Math.max(1, soonest - now)} s` }
      }
    }
    if (this.#size >= this.#maxEntries) {
      // A full sweep is O(entries): at most one per second, however fast refused claims come.
      if (now > this.#sweptAt) this.#sweepAll(now)
      if (this.#size >= this.#maxEntries) {
        return { ok: false, code: 'rate-limited', reason: `rate-limited: this node holds ${this.#size} auth events in use, its limit; retry in ${Math.max(1, this.#soonest - now)} s` }
      }
    }
    own = this.#byKey.get(event.pubkey)
    if (!own) this.#byKey.set(event.pubkey, (own = new Map()))
    own.set(event.id, expiresAt)
    this.#size++
    return { ok: true }
  }

  /** Forgets ids that expired by `now`. */
  prune(now: number): void {
    this.#sweepAll(now)
  }

  get size(): number {
    return this.#size
  }

  #drop(pubkey: string, own: Map<string, number>, id: string): void {
    own.delete(id)
    this.#size--
    if (own.size === 0) this.#byKey.delete(pubkey)
  }

  /** Drops the key's expired ids; returns the soonest expiry left. */
  #sweepKey(pubkey: string, own: Map<string, number>, now: number): number {
    let soonest = Infinity
    for (const [id, exp] of own) {
      if (exp <= now) this.#drop(pubkey, own, id)
      else soonest = Math.min(soonest, exp)
    }
    return soonest
  }

  #sweepAll(now: number): void {
    this.#sweptAt = now
    this.#soonest = Infinity
    for (const [pubkey, own] of this.#byKey) this.#soonest = Math.min(this.#soonest, this.#sweepKey(pubkey, own, now))
  }
}

export type VerifyAuthOptions = ValidateOptions & {
  /** How old the event may be (default authWindowSeconds). */
  windowSeconds?: number | undefined
  /** How far ahead of `now` it may be dated (default authMaxFutureSeconds). */
  futureSeconds?: number | undefined
  replay?: ReplayGuard | undefined
}

export function verifyAuthEvent(input: unknown, binding: AuthBinding, options: VerifyAuthOptions = {}): ValidationResult<{ pubkey: string }> {
  const now = options.now ?? nowSeconds()
  const window = options.windowSeconds ?? authWindowSeconds
  const future = options.futureSeconds ?? authMaxFutureSeconds
  const base = validateEvent(input, kinds.HttpAuth, { ...options, now })
  if (!base.ok) return base
  const ev = base.event
  if (now - ev.created_at > window) return reject('expired', `auth event is ${now - ev.created_at}s old, window is ${window}s: sign a fresh one`)
  if (ev.created_at - now > future) return reject('future', `auth event is dated ${ev.created_at - now}s in the future (at most ${future}s ahead of this node's clock): check the signer's clock`)
  if (getTagValue(ev, 'u') !== binding.url) return reject('bad-tag', `auth "u" tag does not match ${binding.url}`)
  if ((getTagValue(ev, 'method') ?? '').toUpperCase() !== binding.method.toUpperCase()) return reject('bad-tag', `auth "method" tag does not match ${binding.method}`)
  const expected = payloadOf(binding)
  const payload = getTagValue(ev, 'payload')
  if (binding.connection && payload !== undefined) return reject('bad-tag', 'a connection auth event has no "payload" tag')
  if (expected !== undefined && payload !== expected) return reject('bad-tag', 'auth "payload" tag does not match the sha256 of the body')
  if (options.replay) {
    // Remembered until a replay would fail the window anyway.
    const claim = options.replay.claim(ev, ev.created_at + window + 1, now)
    if (!claim.ok) return { ok: false, code: claim.code, reason: claim.reason }
  }
  return { ok: true, event: ev, data: { pubkey: ev.pubkey } }
}
