// Event id and Schnorr signature checks. Nothing here is process-wide: an `EventVerifier` is an object that a
// process (or one client, daemon or coordinator) creates and hands to the parsers, with the Schnorr backend it
// chose and its own memory of what already passed. @noble/curves is the portable reference; libsecp256k1
// compiled to WASM (nostr-wasm) is several times faster and serves browsers (`loadWasmEventVerifier()`); Node
// processes take native libsecp256k1 when it is built (`createFastEventVerifier` in src/schnorr/fastest.ts,
// bench/protocol/schnorr.bench.ts). All give the same answers; only the speed differs.
import { schnorr } from '@noble/curves/secp256k1.js'
import { hexToBytes } from '@noble/hashes/utils.js'
import type { Event as NostrEvent } from 'nostr-tools/core'
import { getEventHash } from 'nostr-tools/pure'

/** A Nostr event's id: sha256 of its NIP-01 serialization, as lowercase hex. */
export type EventHash = (event: Pick<NostrEvent, 'pubkey' | 'created_at' | 'kind' | 'tags' | 'content'>) => string

/** Schnorr check of sig over an id that was already checked. */
export type SignatureVerifier = (event: NostrEvent) => boolean

/** Schnorr check with @noble/curves, the portable reference. */
export function verifySignatureNoble(event: Pick<NostrEvent, 'id' | 'pubkey' | 'sig'>): boolean {
  try {
    return schnorr.verify(hexToBytes(event.sig), hexToBytes(event.id), hexToBytes(event.pubkey))
  } catch {
    return false
  }
}

export type EventVerifier = {
  /** The Schnorr backend this verifier uses. */
  readonly verifySignature: SignatureVerifier
  /** The id function this verifier checks ids with. */
  readonly hashEvent: EventHash
  /** Id (sha256 of the serialized event) then signature; undefined when both hold. What passed is remembered. */
  check(event: NostrEvent): 'bad-id' | 'bad-signature' | undefined
  /** This very event object passed `check` before (events are parsed from JSON and never mutated afterwards). */
  passed(event: object): boolean
}

export type CreateEventVerifierParameters = {
  /** Default @noble/curves. */
  verifySignature?: SignatureVerifier | undefined
  /** Default nostr-tools' getEventHash (pure JS, portable); Node processes take node:crypto's (src/crypto/eventHashNode.ts). */
  hashEvent?: EventHash | undefined
  /** Verified (id, sig) pairs remembered, oldest dropped first (default 20000; 0 remembers nothing). */
  cacheSize?: number | undefined
}

/**
 * A verifier with its own memory: a second look at the same event object (a relay pool's pre-dedupe check, then
 * the kind's parser) costs nothing, and a known (id, sig) pair costs one sha256: the id is the hash of everything
 * else, pubkey included, so a matching hash with a signature already verified needs no second Schnorr check (the
 * same event fetched again, say from a coordinator's answer on every request).
 */
export function createEventVerifier({ verifySignature = verifySignatureNoble, hashEvent = getEventHash, cacheSize = 20_000 }: CreateEventVerifierParameters = {}): EventVerifier {
  const remember = cacheSize > 0
  const events = new WeakSet<object>()
  const signatures = new Set<string>()
  return {
    verifySignature,
    hashEvent,
    check(event) {
      if (hashEvent(event) !== event.id) return 'bad-id'
      const key = event.id + event.sig
      if (!signatures.has(key)) {
        if (!verifySignature(event)) return 'bad-signature'
        if (remember) {
          if (signatures.size >= cacheSize) signatures.delete(signatures.values().next().value as string)
          signatures.add(key)
        }
      }
      if (remember) events.add(event)
      return undefined
    },
    passed: (event) => events.has(event),
  }
}

/** What the parsers use when no verifier is given: @noble/curves, remembering nothing (so it holds no state). */
export const defaultEventVerifier: EventVerifier = createEventVerifier({ cacheSize: 0 })

/**
 * The part of nostr-wasm's API the core uses, named here rather than imported: nostr-wasm's own declarations
 * reference @types/node and @types/web, which it does not install, so a type naming them would break the type
 * check of every project that installs @infernet/sdk (test/packages/sdk.test.ts). Its `Nostr` satisfies this.
 */
export type NostrWasm = {
  /** Sets `id` and `sig` of an event whose `pubkey` is the key's. */
  finalizeEvent(event: NostrEvent, secretKey: Uint8Array): void
  /** Throws unless the event's id and signature hold. */
  verifyEvent(event: NostrEvent): void
}

/** libsecp256k1 (WASM), a fresh instance per call: a process loads it once and keeps what it made. */
export function loadNostrWasm(): Promise<NostrWasm> {
  return import('nostr-wasm').then((m) => m.initNostrWasm())
}

/** A Schnorr verifier backed by libsecp256k1; it re-checks the id as well, which costs little beside the signature. */
export async function loadWasmVerifier(nostrWasm?: NostrWasm | undefined): Promise<SignatureVerifier> {
  const nw = nostrWasm ?? (await loadNostrWasm())
  return (event) => {
    try {
      nw.verifyEvent(event)
      return true
    } catch {
      return false
    }
  }
}

/** An event verifier backed by libsecp256k1 (rejects when the WASM module cannot load). */
export async function loadWasmEventVerifier(options: Omit<CreateEventVerifierParameters, 'verifySignature'> & { nostrWasm?: NostrWasm | undefined } = {}): Promise<EventVerifier> {
  const { nostrWasm, ...rest } = options
  return createEventVerifier({ ...rest, verifySignature: await loadWasmVerifier(nostrWasm) })
}
