// A Signer holds a secret key and never hands it out: callers get signatures and NIP-44 conversation keys.
// Everything that signs (node, client, gateway) takes a Signer, so a hardware or remote signer can replace it.
import type { Event as NostrEvent, EventTemplate } from 'nostr-tools/core'
import { finalizeEvent, getPublicKey } from 'nostr-tools/pure'
import { getConversationKey } from './protocol/nip44.ts'

export type Signer = {
  readonly pubkey: string
  signEvent(template: EventTemplate): Promise<NostrEvent>
  /** NIP-44 v2 conversation key with `peerPubkey`, cached per peer. */
  conversationKey(peerPubkey: string): Uint8Array
}

export function createLocalSigner(secretKey: Uint8Array, { cacheSize = 4096 }: { cacheSize?: number } = {}): Signer {
  const pubkey = getPublicKey(secretKey)
  const cache = new Map<string, Uint8Array>()
  return {
    pubkey,
    async signEvent(template) {
      return finalizeEvent(template, secretKey)
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
