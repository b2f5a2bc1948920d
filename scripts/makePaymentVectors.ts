// Regenerates the payment vectors that are computed, not hand-written: test/vectors/paymentKey.json (the payment key
// derived from a Nostr key, nips/cpr.md §1). Deterministic: the same code writes the same bytes.
// Run: node --import tsx scripts/makePaymentVectors.ts
import { writeFileSync } from 'node:fs'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { getPublicKey } from 'nostr-tools/pure'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { privateKeyToAccount, publicKeyToAddress } from 'viem/accounts'
import { derivePaymentKey, paymentKeyInfo, paymentKeySalt } from '../src/keys/paymentKey.ts'
import { testSecretKey } from '../test/helpers/keys.ts'

/** The two Ethereum addresses an x-only Nostr pubkey can stand for (even and odd y): what an observer can compute. */
function addressesOfXOnly(pubkey: string): string[] {
  return ['02', '03'].map((prefix) => publicKeyToAddress(`0x${secp256k1.Point.fromHex(`${prefix}${pubkey}`).toHex(false)}`))
}

const names = ['client', 'node', 'gateway']
const vectors = {
  description: 'Payment keys derived from Nostr secret keys (nips/cpr.md §1). Keys are public test keys (test/helpers/keys.ts); never use them for value.',
  kdf: { hash: 'sha256', salt: paymentKeySalt, info: paymentKeyInfo, length: 48, reduce: 'okm mod (n - 1) + 1' },
  keys: [
    ...names.map((name) => ({ name, nostrSecretKey: bytesToHex(testSecretKey(name)) })),
    { name: 'one', nostrSecretKey: '00'.repeat(31) + '01' },
  ].map(({ name, nostrSecretKey }) => {
    const secret = hexToBytes(nostrSecretKey)
    const pubkey = getPublicKey(secret)
    const paymentSecretKey = bytesToHex(derivePaymentKey(secret))
    return {
      name,
      nostrSecretKey,
      nostrPubkey: pubkey,
      paymentSecretKey,
      paymentAddress: privateKeyToAccount(`0x${paymentSecretKey}`).address,
      /** What anyone computes from the npub: neither may be the payment address. */
      addressesOfPubkey: addressesOfXOnly(pubkey),
    }
  }),
}
writeFileSync(new URL('../test/vectors/paymentKey.json', import.meta.url), JSON.stringify(vectors, null, 2) + '\n')
console.log('wrote test/vectors/paymentKey.json')
