// Schnorr verification of an event whose id was already checked. Split from the hash check so the id is
// hashed once (nostr-tools' verifyEvent hashes again), and so a faster implementation can be swapped in.
import { schnorr } from '@noble/curves/secp256k1.js'
import { hexToBytes } from '@noble/hashes/utils.js'
import type { Event as NostrEvent } from 'nostr-tools/core'

export function verifySignature(event: Pick<NostrEvent, 'id' | 'pubkey' | 'sig'>): boolean {
  try {
    return schnorr.verify(hexToBytes(event.sig), hexToBytes(event.id), hexToBytes(event.pubkey))
  } catch {
    return false
  }
}
