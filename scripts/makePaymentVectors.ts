// Regenerates the payment vectors that are computed, not hand-written: test/vectors/paymentKey.json (the payment key
// derived from a Nostr key, nips/cpr.md §1) and the `covering` entry of test/vectors/cpr.json (a receipt that covers
// two jobs, nips/cpr.md "Receipts that cover several jobs"). Deterministic: the same code writes the same bytes.
// Run: node --import tsx scripts/makePaymentVectors.ts
import { readFileSync, writeFileSync } from 'node:fs'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { getPublicKey } from 'nostr-tools/pure'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { privateKeyToAccount, publicKeyToAddress } from 'viem/accounts'
import { derivePaymentKey, paymentKeyInfo, paymentKeySalt } from '../src/keys/paymentKey.ts'
import { receiptFromJson, receiptToJson } from '../src/payments/voucher.ts'
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

// The third receipt of cpr.json, sent to a node that holds the first one and never got the second: it names both
// jobs it chains since then, and the node accepts it for their two amounts together.
const cprUrl = new URL('../test/vectors/cpr.json', import.meta.url)
const cpr = JSON.parse(readFileSync(cprUrl, 'utf8')) as { receipts: { job: string; amount: string; receipt: Record<string, unknown> }[]; covering?: unknown }
const [first, second, third] = cpr.receipts as [(typeof cpr.receipts)[0], (typeof cpr.receipts)[0], (typeof cpr.receipts)[0]]
cpr.covering = {
  description: 'receipts[2] sent after receipts[0] only: it covers the jobs of receipts[1] and receipts[2]; the node expects their amounts summed',
  stored: first.receipt,
  receipt: receiptToJson(receiptFromJson(third.receipt), undefined, { jobs: [second.job, third.job] }),
  increment: (BigInt(second.amount) + BigInt(third.amount)).toString(),
}
writeFileSync(cprUrl, JSON.stringify(cpr, null, 2) + '\n')
console.log('wrote the covering entry of test/vectors/cpr.json')
