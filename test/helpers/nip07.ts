// A NIP-07 provider (the `window.nostr` a browser extension injects) over a key held in a closure: what the SDK
// gets is `getPublicKey`, `signEvent` and `nip44.encrypt/decrypt`, never the key or a conversation key. Built
// on nostr-tools' own NIP-44 and signing, not on ours, as a real extension would be. Counts every call.
import { finalizeEvent, getPublicKey } from 'nostr-tools/pure'
import { v2 as nip44 } from 'nostr-tools/nip44'
import type { Nip07Provider } from '../../src/signer.ts'

export type CountingNip07Provider = Nip07Provider & { calls: { getPublicKey: number; signEvent: number; encrypt: number; decrypt: number } }

export function closureNip07Provider(secretKey: Uint8Array): CountingNip07Provider {
  const calls = { getPublicKey: 0, signEvent: 0, encrypt: 0, decrypt: 0 }
  const key = (peer: string) => nip44.utils.getConversationKey(secretKey, peer)
  return {
    calls,
    getPublicKey: async () => (calls.getPublicKey++, getPublicKey(secretKey)),
    signEvent: async (template) => (calls.signEvent++, finalizeEvent(template, secretKey)),
    nip44: {
      encrypt: async (peer, plaintext) => (calls.encrypt++, nip44.encrypt(plaintext, key(peer))),
      decrypt: async (peer, ciphertext) => (calls.decrypt++, nip44.decrypt(ciphertext, key(peer))),
    },
  }
}
