// The checks every Infernet event passes at the door, in order: shape, size, kind, tag count, timestamps, id,
// signature. Each failure has its own code and a reason that starts with a NIP-01 machine-readable prefix, so
// the same string can go straight into a relay's OK message or a node's error status.
import type { Event as NostrEvent, EventTemplate } from 'nostr-tools/core'
import { maxEventBytes, maxFutureSeconds, maxTags } from './limits.ts'
import { readExpiration } from './nip40.ts'
import { defaultEventVerifier, type EventVerifier } from './verify.ts'

export type { NostrEvent, EventTemplate }

export type RejectCode =
  | 'malformed'
  | 'too-large'
  | 'wrong-kind'
  | 'too-many-tags'
  | 'future'
  | 'expired'
  | 'bad-id'
  | 'bad-signature'
  | 'missing-tag'
  | 'duplicate-tag'
  | 'bad-tag'
  | 'bad-content'
  | 'undecryptable'
  | 'replayed'
  /** Refused for now, not for what it is: retry later (the reason says when). Its reason starts `rate-limited:`. */
  | 'rate-limited'
  | 'unsupported-version'

export type Rejected = { ok: false; code: RejectCode; reason: string }
export type Accepted<T> = { ok: true; event: NostrEvent; data: T }
export type ValidationResult<T> = Accepted<T> | Rejected

export type ValidateOptions = {
  /** Current time in unix seconds; injected so tests and replays are deterministic. */
  now?: number | undefined
  /** Skip id and signature checks for events whose id was verified already (e.g. read back from our own store). */
  trusted?: boolean | undefined
  /** Accept events dated at most this many seconds ahead. */
  maxFuture?: number | undefined
  /**
   * Id and signature checks, and the memory of what passed: the caller's own (a client, daemon or coordinator
   * makes one; see verify.ts). Default `defaultEventVerifier`: @noble/curves, remembering nothing.
   */
  verify?: EventVerifier | undefined
  /**
   * Check the id now and leave the Schnorr check to the caller, who must pass the event through `isAuthentic`
   * before trusting it (a node starts a job whose author its transport already authenticated while the check is
   * pending). Nothing is cached until that check.
   */
  deferSignature?: boolean | undefined
}

export function reject(code: RejectCode, reason: string): Rejected {
  return { ok: false, code, reason: `invalid: ${reason}` }
}

const hex64 = /^[0-9a-f]{64}$/
const hex128 = /^[0-9a-f]{128}$/

const encoder = new TextEncoder()
export function utf8Length(text: string): number {
  return encoder.encode(text).length
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

/** NIP-01 shape: every field present with the right type and encoding. */
export function checkShape(input: unknown): Rejected | null {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return reject('malformed', 'event is not a JSON object')
  const e = input as Record<string, unknown>
  if (typeof e.id !== 'string' || !hex64.test(e.id)) return reject('malformed', 'id must be 64 lowercase hex characters')
  if (typeof e.pubkey !== 'string' || !hex64.test(e.pubkey)) return reject('malformed', 'pubkey must be 64 lowercase hex characters')
  if (typeof e.sig !== 'string' || !hex128.test(e.sig)) return reject('malformed', 'sig must be 128 lowercase hex characters')
  if (!Number.isInteger(e.kind) || (e.kind as number) < 0 || (e.kind as number) > 65535) return reject('malformed', 'kind must be an integer 0-65535')
  if (!Number.isInteger(e.created_at) || (e.created_at as number) < 0) return reject('malformed', 'created_at must be a non-negative integer')
  if (typeof e.content !== 'string') return reject('malformed', 'content must be a string')
  if (!Array.isArray(e.tags)) return reject('malformed', 'tags must be an array')
  for (const tag of e.tags) {
    if (!Array.isArray(tag) || tag.length === 0 || !tag.every((v) => typeof v === 'string')) {
      return reject('malformed', 'each tag must be a non-empty array of strings')
    }
  }
  return null
}

export function getTags(event: Pick<NostrEvent, 'tags'>, name: string): string[][] {
  return event.tags.filter((t) => t[0] === name)
}

export function getTagValue(event: Pick<NostrEvent, 'tags'>, name: string): string | undefined {
  return event.tags.find((t) => t[0] === name)?.[1]
}

/** Exactly one tag named `name` with a non-empty value; returns the tag or a rejection. */
export function requireSingleTag(event: NostrEvent, name: string, pattern?: RegExp): string[] | Rejected {
  const found = getTags(event, name)
  if (found.length === 0) return reject('missing-tag', `missing required "${name}" tag`)
  if (found.length > 1) return reject('duplicate-tag', `"${name}" tag appears ${found.length} times, expected once`)
  const tag = found[0]!
  if (tag[1] === undefined || tag[1] === '') return reject('bad-tag', `"${name}" tag has no value`)
  if (pattern && !pattern.test(tag[1])) return reject('bad-tag', `"${name}" tag value does not match ${pattern}`)
  return tag
}

export function isRejected(value: unknown): value is Rejected {
  return typeof value === 'object' && value !== null && (value as Rejected).ok === false
}

/**
 * Generic door checks for one expected kind. Returns the typed event or the first rejection.
 * Size is measured on the JSON serialization, as a relay would receive it.
 */
export function validateEvent(input: unknown, kind: number, options: ValidateOptions = {}): Rejected | { ok: true; event: NostrEvent } {
  const shape = checkShape(input)
  if (shape) return shape
  const event = input as NostrEvent
  if (event.kind !== kind) return reject('wrong-kind', `expected kind ${kind}, got ${event.kind}`)
  const limit = maxEventBytes[kind]
  if (limit !== undefined) {
    const size = utf8Length(JSON.stringify(event))
    if (size > limit) return reject('too-large', `event is ${size} bytes, limit for kind ${kind} is ${limit}`)
  }
  if (event.tags.length > maxTags) return reject('too-many-tags', `${event.tags.length} tags, limit is ${maxTags}`)
  const now = options.now ?? nowSeconds()
  const maxFuture = options.maxFuture ?? maxFutureSeconds
  if (event.created_at > now + maxFuture) return reject('future', `created_at is ${event.created_at - now}s in the future (max ${maxFuture}s)`)
  const exp = readExpiration(event)
  if (exp === 'malformed') return reject('bad-tag', '"expiration" tag must be a unix timestamp')
  if (exp !== undefined && exp <= now) return reject('expired', `event expired at ${exp}`)
  const verifier = options.verify ?? defaultEventVerifier
  if (!options.trusted && !verifier.passed(event)) {
    if (options.deferSignature) {
      if (verifier.hashEvent(event) !== event.id) return badId
    } else {
      const failure = checkIdAndSignature(event, verifier)
      if (failure) return failure
    }
  }
  return { ok: true, event }
}

const badId = reject('bad-id', 'id is not the sha256 of the serialized event')
const badSignature = reject('bad-signature', 'signature does not verify against pubkey')

function checkIdAndSignature(event: NostrEvent, verifier: EventVerifier): Rejected | null {
  const failure = verifier.check(event)
  return failure === 'bad-id' ? badId : failure === 'bad-signature' ? badSignature : null
}

/** NIP-01 shape, id and signature, for any kind; what a relay pool checks before it deduplicates. */
export function isAuthentic(input: unknown, verifier: EventVerifier = defaultEventVerifier): boolean {
  if (checkShape(input)) return false
  const event = input as NostrEvent
  return verifier.passed(event) || verifier.check(event) === undefined
}
