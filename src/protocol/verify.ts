// Schnorr verification of an event whose id was already checked. Split from the hash check so that a faster
// implementation can be swapped in: @noble/curves is the portable reference; libsecp256k1 compiled to WASM
// (nostr-wasm) is several times faster (bench/protocol/events.bench.ts) and is used on hot paths (relay ingest,
// coordinator indexing) through `loadWasmVerifier()`.
import { schnorr } from '@noble/curves/secp256k1.js'
import { hexToBytes } from '@noble/hashes/utils.js'
import type { Event as NostrEvent } from 'nostr-tools/core'
import type { Nostr } from 'nostr-wasm'

export type SignatureVerifier = (event: NostrEvent) => boolean

/** Schnorr check with @noble/curves, the portable reference. */
export function verifySignatureNoble(event: Pick<NostrEvent, 'id' | 'pubkey' | 'sig'>): boolean {
  try {
    return schnorr.verify(hexToBytes(event.sig), hexToBytes(event.id), hexToBytes(event.pubkey))
  } catch {
    return false
  }
}

let wasm: Promise<Nostr> | undefined
let wasmReady: Nostr | undefined

/**
 * The default verifier: libsecp256k1 once a process has loaded it (`loadNostrWasm()`, which every long-running
 * part calls at start), @noble/curves until then. Both give the same answers; only the speed differs.
 */
export function verifySignature(event: NostrEvent): boolean {
  if (!wasmReady) return verifySignatureNoble(event)
  try {
    wasmReady.verifyEvent(event)
    return true
  } catch {
    return false
  }
}

/** libsecp256k1 (WASM), loaded once per process. */
export function loadNostrWasm(): Promise<Nostr> {
  wasm ??= import('nostr-wasm').then((m) => m.initNostrWasm()).then((instance) => (wasmReady = instance))
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
