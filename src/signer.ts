// A Signer holds a secret key and never hands it out: callers get signatures and NIP-44 conversation keys.
// Everything that signs (node, client, gateway) takes a Signer, so a hardware or remote signer can replace it.
import type { Event as NostrEvent, EventTemplate } from 'nostr-tools/core'
import { schnorr } from '@noble/curves/secp256k1.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { getEventHash, getPublicKey } from 'nostr-tools/pure'
import type { Nostr } from 'nostr-wasm'
import { getConversationKey } from './protocol/nip44.ts'
import { loadNostrWasm } from './protocol/verify.ts'

export type Signer = {
  readonly pubkey: string
  signEvent(template: EventTemplate): Promise<NostrEvent>
  /** NIP-44 v2 conversation key with `peerPubkey`, cached per peer. */
  conversationKey(peerPubkey: string): Uint8Array
}

export type LocalSignerOptions = {
  cacheSize?: number | undefined
  /** libsecp256k1 (WASM) for signing; much faster than the pure-JS default (see bench/protocol). */
  wasm?: Nostr | undefined
}

export function createLocalSigner(secretKey: Uint8Array, { cacheSize = 4096, wasm }: LocalSignerOptions = {}): Signer {
  const pubkey = getPublicKey(secretKey)
  const cache = new Map<string, Uint8Array>()
  const sign = wasm
    ? (template: EventTemplate): NostrEvent => {
        const event = { ...template, pubkey, id: '', sig: '' }
        wasm.finalizeEvent(event, secretKey)
        return event
      }
    : (template: EventTemplate): NostrEvent => {
        // nostr-tools' finalizeEvent derives the public key again on every call; it is fixed here.
        const event = { ...template, pubkey, id: '', sig: '' }
        event.id = getEventHash(event)
        event.sig = bytesToHex(schnorr.sign(hexToBytes(event.id), secretKey))
        return event
      }
  return {
    pubkey,
    async signEvent(template) {
      return sign(template)
    },
    conversationKey(peerPubkey) {
      let key = cache.get(peerPubkey)
      if (!key) {
        key = getConversationKey(secretKey, peerPubkey)
        if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string)
        cache.set(peerPubkey, key)
      }
      return key
    },
  }
}

/** A local signer backed by libsecp256k1 (WASM): for processes that sign on a hot path (node chunk events). */
export async function createFastSigner(secretKey: Uint8Array, options: Omit<LocalSignerOptions, 'wasm'> = {}): Promise<Signer> {
  return createLocalSigner(secretKey, { ...options, wasm: await loadNostrWasm() })
}
