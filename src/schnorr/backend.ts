// A Schnorr backend signs and verifies Nostr events (BIP-340 over the event id). Three exist, giving the same
// answers at different speeds (bench/protocol/schnorr.bench.ts): libsecp256k1 compiled natively for Node
// (native.ts, the fastest), libsecp256k1 compiled to WASM (wasm.ts, nostr-wasm: browsers, and Node where the
// native build failed) and @noble/curves (noble.ts, pure JS, the portable reference). A process picks one once
// (fastest.ts in Node) and hands it to its signer and its event verifier.
import type { Event as NostrEvent } from 'nostr-tools/core'

/** A secret key made ready for signing once: its x-only public key is derived here, not per signature. */
export type SchnorrKey = {
  /** x-only public key, 64 hex characters. */
  readonly pubkey: string
  /** Sets `id` (the event hash) and `sig` (BIP-340 with fresh auxiliary randomness) of an event whose `pubkey` is this key's. */
  finalize(event: NostrEvent): void
}

export type SchnorrBackend = {
  readonly name: 'native' | 'wasm' | 'noble'
  /** Throws a RangeError when the secret key is not a valid secp256k1 scalar. */
  key(secretKey: Uint8Array): SchnorrKey
  /** The signature check of an event whose id was already checked; false for malformed input, never a throw. */
  verify(event: Pick<NostrEvent, 'id' | 'pubkey' | 'sig'>): boolean
}

/** 32 bytes of auxiliary randomness per signature; injected by tests that compare signatures byte for byte. */
export type RandomBytes = (length: number) => Uint8Array

export const secureRandomBytes: RandomBytes = (length) => crypto.getRandomValues(new Uint8Array(length))
