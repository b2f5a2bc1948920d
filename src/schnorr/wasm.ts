// libsecp256k1 compiled to WASM (nostr-wasm): browsers, and Node where the native addon is not built. Its API
// takes the secret key with every event and rebuilds the keypair inside each call (nearly half of its signing
// time); nothing smaller is exported, so only the public key is derived once here.
import { getPublicKey } from 'nostr-tools/pure'
import type { NostrWasm } from '../protocol/verify.ts'
import type { SchnorrBackend } from './backend.ts'

export function wasmSchnorr(nostrWasm: NostrWasm): SchnorrBackend {
  return {
    name: 'wasm',
    key(secretKey) {
      const pubkey = getPublicKey(secretKey)
      return { pubkey, finalize: (event) => nostrWasm.finalizeEvent(event, secretKey) }
    },
    verify(event) {
      try {
        // nostr-wasm checks the id as well; it takes whole events only.
        nostrWasm.verifyEvent(event as Parameters<NostrWasm['verifyEvent']>[0])
        return true
      } catch {
        return false
      }
    },
  }
}
