// BIP-340 in pure JS on @noble/curves' field and point arithmetic, with the key prepared once: noble's own
// schnorr.sign derives the public key again for every signature and verifies what it produced, three point
// multiplications where signing needs one. The steps below are BIP-340's "Default Signing" in order; the
// result equals schnorr.sign's for the same key, message and auxiliary bytes (test/schnorr/backends.test.ts).
// Like libsecp256k1, it does not re-verify its own signature.
import { schnorr } from '@noble/curves/secp256k1.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { bytesToNumberBE } from '@noble/curves/utils.js'
import { getEventHash } from 'nostr-tools/pure'
import { secureRandomBytes, type RandomBytes, type SchnorrBackend, type SchnorrKey } from './backend.ts'

const { Point, utils } = schnorr
const { Fn, Fp } = Point

/** d (negated when d·G has an odd y, so that the x-only key stands for d·G) and the 32-byte x of d·G. */
function prepare(secretKey: Uint8Array): { d: bigint; px: Uint8Array } {
  if (secretKey.length !== 32) throw new RangeError('the secret key must be 32 bytes')
  const d0 = bytesToNumberBE(secretKey)
  if (d0 === 0n || d0 >= Fn.ORDER) throw new RangeError('the secret key is not a valid secp256k1 scalar (zero or not below the group order)')
  const P = Point.BASE.multiply(d0).toAffine()
  return { d: Fp.isOdd!(P.y) ? Fn.neg(d0) : d0, px: Fp.toBytes(P.x) }
}

/** BIP-340 signature of a 32-byte message with a prepared key. */
export function signPrepared(d: bigint, px: Uint8Array, message: Uint8Array, aux: Uint8Array): Uint8Array {
  const t = Fn.toBytes(d)
  const masked = utils.taggedHash('BIP0340/aux', aux)
  for (let i = 0; i < 32; i++) t[i]! ^= masked[i]!
  const k0 = Fn.create(bytesToNumberBE(utils.taggedHash('BIP0340/nonce', t, px, message)))
  if (k0 === 0n) throw new Error('BIP-340 signing failed: the nonce is zero (negligible odds; sign again)')
  const R = Point.BASE.multiply(k0).toAffine()
  const k = Fp.isOdd!(R.y) ? Fn.neg(k0) : k0
  const rx = Fp.toBytes(R.x)
  const e = Fn.create(bytesToNumberBE(utils.taggedHash('BIP0340/challenge', rx, px, message)))
  const sig = new Uint8Array(64)
  sig.set(rx, 0)
  sig.set(Fn.toBytes(Fn.create(k + e * d)), 32)
  return sig
}

export function nobleSchnorr({ randomBytes = secureRandomBytes }: { randomBytes?: RandomBytes | undefined } = {}): SchnorrBackend {
  return {
    name: 'noble',
    key(secretKey): SchnorrKey {
      const { d, px } = prepare(secretKey)
      return {
        pubkey: bytesToHex(px),
        finalize(event) {
          event.id = getEventHash(event)
          event.sig = bytesToHex(signPrepared(d, px, hexToBytes(event.id), randomBytes(32)))
        },
      }
    },
    verify(event) {
      try {
        return schnorr.verify(hexToBytes(event.sig), hexToBytes(event.id), hexToBytes(event.pubkey))
      } catch {
        return false
      }
    },
  }
}
