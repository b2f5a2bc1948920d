// The payment key (nips/cpr.md §1): the Ethereum address a participant pays from cannot be computed from its Nostr
// pubkey. The attack: from an npub, anyone derives the two addresses an x-only key stands for (even and odd y) and
// looks them up on chain; with one key for both, one of them is the client's payer address and joins its jobs to
// its deposits. Vectors: test/vectors/paymentKey.json (scripts/makePaymentVectors.ts).
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { nsecEncode } from 'nostr-tools/nip19'
import { privateKeyToAccount, publicKeyToAddress } from 'viem/accounts'
import { identityFromSecretKey, loadIdentity, loadOrCreateIdentity, saveIdentity } from '../../src/keys/identity.ts'
import { derivePaymentKey } from '../../src/keys/paymentKey.ts'

const vectors = JSON.parse(readFileSync(new URL('../vectors/paymentKey.json', import.meta.url), 'utf8')) as {
  keys: { name: string; nostrSecretKey: string; nostrPubkey: string; paymentSecretKey: string; paymentAddress: string; addressesOfPubkey: string[] }[]
}

/** What an observer computes from a pubkey alone. */
const addressesOf = (pubkey: string) => ['02', '03'].map((p) => publicKeyToAddress(`0x${secp256k1.Point.fromHex(`${p}${pubkey}`).toHex(false)}`))

describe('payment key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'infernet-paykey-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('a fresh identity pays from an address that its npub does not give away', () => {
    for (let i = 0; i < 8; i++) {
      const { identity } = loadOrCreateIdentity(join(dir, `fresh-${i}`, 'key.json'))
      assert.equal(identity.paymentKey, 'derived')
      assert.ok(!addressesOf(identity.pubkey).includes(identity.address), `address ${identity.address} follows from pubkey ${identity.pubkey}`)
      assert.equal(privateKeyToAccount(`0x${bytesToHex(identity.paymentSecretKey)}`).address, identity.address)
      // Read back from its file, it is the same payment key.
      assert.equal(loadIdentity(join(dir, `fresh-${i}`, 'key.json')).address, identity.address)
    }
  })

  it('matches the vectors, and no vector address is one of its pubkey\'s', () => {
    for (const v of vectors.keys) {
      const secret = hexToBytes(v.nostrSecretKey)
      assert.equal(bytesToHex(derivePaymentKey(secret)), v.paymentSecretKey, v.name)
      const identity = identityFromSecretKey(secret)
      assert.equal(identity.pubkey, v.nostrPubkey)
      assert.equal(identity.address, v.paymentAddress)
      assert.deepEqual(addressesOf(v.nostrPubkey), v.addressesOfPubkey)
      assert.ok(!v.addressesOfPubkey.includes(v.paymentAddress))
    }
    assert.throws(() => derivePaymentKey(new Uint8Array(31)), /32 bytes/)
  })

  it('a key file written before version 2 keeps paying from the Nostr key, so its deposits stay reachable', () => {
    const secret = hexToBytes(vectors.keys[0]!.nostrSecretKey)
    const path = join(dir, 'v1', 'key.json')
    saveIdentity(path, identityFromSecretKey(secret))
    const v1 = { version: 1, nsec: nsecEncode(secret), npub: 'unused' }
    writeFileSync(path, JSON.stringify(v1), { mode: 0o600 })
    const old = loadIdentity(path)
    assert.equal(old.paymentKey, 'nostr')
    assert.equal(old.address, privateKeyToAccount(`0x${vectors.keys[0]!.nostrSecretKey}`).address)
    // Written again (say by `infernet keys --import … --force`), a fresh identity derives its payment key.
    saveIdentity(path, identityFromSecretKey(secret))
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).version, 2)
    assert.equal(loadIdentity(path).address, vectors.keys[0]!.paymentAddress)
    writeFileSync(path, JSON.stringify({ ...v1, version: 2, paymentKey: 'bogus' }), { mode: 0o600 })
    assert.throws(() => loadIdentity(path), /unknown "paymentKey"/)
  })
})
