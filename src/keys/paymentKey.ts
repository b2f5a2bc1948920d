// The payment key: the secp256k1 key a participant pays and is paid with on the settlement chain. It is derived from
// the Nostr secret key, so one secret still backs up both, but the public Nostr key says nothing about the Ethereum
// address (nips/cpr.md §1): with the same key for both, anyone could compute the two addresses an x-only pubkey can
// stand for and join a client's jobs (public on relays) to its deposits (public on chain). Pure.
//
// Derivation (vectors: test/vectors/paymentKey.json): okm = HKDF-SHA256(ikm = the 32-byte Nostr secret key,
// salt = "infernet", info = "infernet:payment-key:v1", L = 48), paymentKey = (okm as a big-endian integer mod (n - 1))
// + 1, as 32 bytes. 48 bytes reduced mod n-1 keep the bias below 2^-128 and the result is never 0 (as in EIP-2333).
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'

/** secp256k1 group order. */
const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
const encoder = new TextEncoder()

export const paymentKeySalt = 'infernet'
export const paymentKeyInfo = 'infernet:payment-key:v1'

/** The payment secret key derived from a Nostr secret key (32 bytes in, 32 bytes out). */
export function derivePaymentKey(nostrSecretKey: Uint8Array): Uint8Array {
  if (nostrSecretKey.length !== 32) throw new TypeError('the Nostr secret key must be 32 bytes')
  const okm = hkdf(sha256, nostrSecretKey, encoder.encode(paymentKeySalt), encoder.encode(paymentKeyInfo), 48)
  const k = (BigInt(`0x${bytesToHex(okm)}`) % (n - 1n)) + 1n
  return hexToBytes(k.toString(16).padStart(64, '0'))
}
