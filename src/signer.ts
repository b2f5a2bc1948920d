// A Signer holds a secret key and never hands it out: callers get signatures and NIP-44 encryption with a peer,
// in the shape NIP-07 browser extensions (`window.nostr`) and NIP-46 remote signers offer, so either can stand
// in for the local signer. Only the local signer also exposes the per-peer conversation key, as an optional fast
// path for per-chunk work (no promise, no round trip per token); callers use it when present, else `nip44`.
import type { Event as NostrEvent, EventTemplate } from 'nostr-tools/core'
import type { WindowNostr } from 'nostr-tools/nip07'
import { decrypt, encrypt, getConversationKey } from './protocol/nip44.ts'
import type { NostrWasm } from './protocol/verify.ts'
import type { SchnorrBackend } from './schnorr/backend.ts'
import { nobleSchnorr } from './schnorr/noble.ts'
import { wasmSchnorr } from './schnorr/wasm.ts'

/** NIP-44 v2 with one peer, as NIP-07's `window.nostr.nip44`: the shared secret stays inside the signer. */
export type Nip44Cipher = {
  encrypt(peerPubkey: string, plaintext: string): Promise<string>
  decrypt(peerPubkey: string, ciphertext: string): Promise<string>
}

export type Signer = {
  readonly pubkey: string
  signEvent(template: EventTemplate): Promise<NostrEvent>
  nip44: Nip44Cipher
  /**
   * Optional fast path, offered by the local signer only: the NIP-44 v2 conversation key with `peerPubkey` (cached
   * per peer), for callers that encrypt or decrypt every streamed chunk. Absent on extension and remote signers.
   */
  conversationKey?: ((peerPubkey: string) => Uint8Array) | undefined
}

/** A signer whose key lives in this process: it offers the conversation-key fast path. */
export type LocalSigner = Signer & { conversationKey(peerPubkey: string): Uint8Array }

export type LocalSignerOptions = {
  cacheSize?: number | undefined
  /**
   * Who signs (src/schnorr/backend.ts). Default @noble/curves with the key prepared once; in Node,
   * `createFastSigner` (src/schnorr/fastest.ts) picks native libsecp256k1.
   */
  schnorr?: SchnorrBackend | undefined
  /** libsecp256k1 (WASM) for signing, when `schnorr` is not given: several times faster than pure JS in a browser. */
  wasm?: NostrWasm | undefined
  /** NIP-44 over a conversation key. Default the pure implementation; `createFastSigner` in Node gives node:crypto's. */
  cipher?: { encrypt(plaintext: string, conversationKey: Uint8Array): string; decrypt(payload: string, conversationKey: Uint8Array): string } | undefined
}

export function createLocalSigner(secretKey: Uint8Array, { cacheSize = 4096, schnorr, wasm, cipher = { encrypt, decrypt } }: LocalSignerOptions = {}): LocalSigner {
  // The key is prepared once (x-only public key, and for libsecp256k1 the keypair), never per signature.
  const key = (schnorr ?? (wasm ? wasmSchnorr(wasm) : nobleSchnorr())).key(secretKey)
  const pubkey = key.pubkey
  const cache = new Map<string, Uint8Array>()
  const sign = (template: EventTemplate): NostrEvent => {
    const event = { ...template, pubkey, id: '', sig: '' }
    key.finalize(event)
    return event
  }
  const conversationKey = (peerPubkey: string): Uint8Array => {
    let key = cache.get(peerPubkey)
    if (!key) {
      key = getConversationKey(secretKey, peerPubkey)
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string)
      cache.set(peerPubkey, key)
    }
    return key
  }
  return {
    pubkey,
    async signEvent(template) {
      return sign(template)
    },
    nip44: {
      encrypt: async (peerPubkey, plaintext) => cipher.encrypt(plaintext, conversationKey(peerPubkey)),
      decrypt: async (peerPubkey, ciphertext) => cipher.decrypt(ciphertext, conversationKey(peerPubkey)),
    },
    conversationKey,
  }
}

/** What a NIP-07 provider must offer for the SDK: `window.nostr` with the optional `nip44` present. */
export type Nip07Provider = Pick<WindowNostr, 'getPublicKey' | 'signEvent'> & { nip44?: WindowNostr['nip44'] }

/**
 * A Signer over a NIP-07 provider (a browser extension's `window.nostr`, or anything shaped like it): the key
 * stays in the provider, which is asked for the public key once, then for every signature and every NIP-44
 * encryption. Rejects when the provider has no `nip44` (NIP-04 is not enough for Infernet payloads).
 */
export async function createNip07Signer(provider: Nip07Provider): Promise<Signer> {
  const nip44 = provider.nip44
  if (!nip44) throw new TypeError('this NIP-07 provider offers no nip44.encrypt/decrypt; Infernet needs NIP-44')
  const pubkey = await provider.getPublicKey()
  return {
    pubkey,
    async signEvent(template) {
      const event = await provider.signEvent(template)
      if (event.pubkey !== pubkey) throw new Error('the NIP-07 provider signed with another key than it announced')
      return event
    },
    nip44: {
      encrypt: (peerPubkey, plaintext) => nip44.encrypt(peerPubkey, plaintext),
      decrypt: (peerPubkey, ciphertext) => nip44.decrypt(peerPubkey, ciphertext),
    },
  }
}
