// Schnorr verification of an event whose id was already checked. Split from the hash check so that a faster
// implementation can be swapped in: @noble/curves is the portable reference; libsecp256k1 compiled to WASM
// (nostr-wasm) is several times faster (bench/protocol/events.bench.ts) and is used on hot paths (relay ingest,
// coordinator indexing) through `loadWasmVerifier()`.
import { schnorr } from '@noble/curves/secp256k1.js'
import { hexToBytes } from '@noble/hashes/utils.js'
import type { Event as NostrEvent } from 'nostr-tools/core'
import type { Nostr } from 'nostr-wasm'

export type SignatureVerifier = (event: NostrEvent) => boolean

export function verifySignature(event: Pick<NostrEvent, 'id' | 'pubkey' | 'sig'>): boolean {
  try {
    return schnorr.verify(hexToBytes(event.sig), hexToBytes(event.id), hexToBytes(event.pubkey))
  } catch {
    return false
  }
}

let wasm: Promise<Nostr> | undefined

/** libsecp256k1 (WASM), loaded once per process. */
export function loadNostrWasm(): Promise<Nostr> {
  wasm ??= import('nostr-wasm').then((m) => m.initNostrWasm())
  return wasm
}

/** A verifier backed by libsecp256k1; it re-checks the id as well, which costs little beside the signature. */
export async function loadWasmVerifier(): Promise<SignatureVerifier> {
  const nw = await loadNostrWasm()
  return (event) => {
    try {
      nw.verifyEvent(event)
      return true
    } catch {
      return false
    }
  }
}
