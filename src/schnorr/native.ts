// libsecp256k1 compiled natively (addon.ts): the keypair is made once per key inside libsecp256k1, and every
// value crosses into C as the hex the event already holds.
import { eventHashNode } from '../crypto/eventHashNode.ts'
import type { SchnorrAddon } from './addon.ts'
import { secureRandomBytes, type RandomBytes, type SchnorrBackend } from './backend.ts'

export function nativeSchnorr(addon: SchnorrAddon, { randomBytes = secureRandomBytes }: { randomBytes?: RandomBytes | undefined } = {}): SchnorrBackend {
  // Blinds the context's precomputed multiples of G against timing and power side channels.
  addon.randomize(randomBytes(32))
  return {
    name: 'native',
    key(secretKey) {
      if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32) throw new RangeError('the secret key must be 32 bytes')
      const keypair = addon.keypair(secretKey)
      return {
        pubkey: addon.xonly(keypair),
        finalize(event) {
          event.id = eventHashNode(event)
          event.sig = addon.sign(keypair, event.id, randomBytes(32))
        },
      }
    },
    verify: (event) => addon.verify(event.sig, event.id, event.pubkey),
  }
}
