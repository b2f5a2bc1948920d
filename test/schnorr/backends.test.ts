// The three Schnorr backends (native libsecp256k1, libsecp256k1 as WASM, @noble/curves) against BIP-340's official
// vectors and against each other and nostr-tools: same signatures for the same key, message and auxiliary bytes,
// fresh randomness otherwise, and a flipped bit anywhere refused.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { describe, test } from 'node:test'
import { schnorr } from '@noble/curves/secp256k1.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import type { Event as NostrEvent } from 'nostr-tools/core'
import { generateSecretKey, verifyEvent } from 'nostr-tools/pure'
import { loadNostrWasm } from '../../src/protocol/verify.ts'
import { addonPath, loadSchnorrAddon, type SchnorrAddon } from '../../src/schnorr/addon.ts'
import type { SchnorrBackend } from '../../src/schnorr/backend.ts'
import { nativeSchnorr } from '../../src/schnorr/native.ts'
import { nobleSchnorr, signPrepared } from '../../src/schnorr/noble.ts'
import { wasmSchnorr } from '../../src/schnorr/wasm.ts'
import { createLocalSigner } from '../../src/signer.ts'
import { bip340Vectors } from '../helpers/bip340Vectors.ts'

const built = existsSync(addonPath())
const skipNative = built ? false : `the native addon is not built (${addonPath()}): npm run schnorr`
const addon = (): SchnorrAddon => loadSchnorrAddon()
const vectors = bip340Vectors()
const template = (i: number) => ({ kind: 1, created_at: 1_764_000_000 + i, tags: [['t', 'schnorr']], content: `event ${i}` })

/** The same string with one bit of one hex digit flipped. */
function flip(hex: string, at: number): string {
  const digit = (parseInt(hex[at]!, 16) ^ 1).toString(16)
  return hex.slice(0, at) + digit + hex.slice(at + 1)
}

async function backends(): Promise<SchnorrBackend[]> {
  return [...(built ? [nativeSchnorr(addon())] : []), wasmSchnorr(await loadNostrWasm()), nobleSchnorr()]
}

describe('BIP-340 test vectors', () => {
  test('native libsecp256k1 signs vectors 0-3 byte for byte and gives every vector its verdict', { skip: skipNative }, () => {
    const native = addon()
    for (const v of vectors) {
      if (v.secretKey) {
        const keypair = native.keypair(hexToBytes(v.secretKey))
        assert.equal(native.xonly(keypair), v.publicKey, `vector ${v.index}: public key`)
        assert.equal(native.sign(keypair, v.message!, hexToBytes(v.auxRand!)), v.signature, `vector ${v.index}: signature`)
      }
      const verdict = native.verify(v.signature ?? '00'.repeat(64), v.message ?? '00'.repeat(32), v.publicKey)
      assert.equal(verdict, v.valid, `vector ${v.index}: verify`)
    }
  })

  test('the prepared-key noble signer signs vectors 0-3 byte for byte; noble verifies every vector as BIP-340 says', () => {
    for (const v of vectors) {
      if (v.secretKey) {
        const key = nobleSchnorr({ randomBytes: () => hexToBytes(v.auxRand!) }).key(hexToBytes(v.secretKey))
        assert.equal(key.pubkey, v.publicKey, `vector ${v.index}: public key`)
        const event = { ...template(0), pubkey: key.pubkey, id: '', sig: '' }
        key.finalize(event)
        assert.equal(event.sig, bytesToHex(schnorr.sign(hexToBytes(event.id), hexToBytes(v.secretKey), hexToBytes(v.auxRand!))))
      }
      const backend = nobleSchnorr()
      assert.equal(backend.verify({ id: v.message ?? '00'.repeat(32), pubkey: v.publicKey, sig: v.signature ?? '00'.repeat(64) }), v.valid, `vector ${v.index}`)
    }
  })

  test('signPrepared equals @noble/curves schnorr.sign on random keys (even and odd y), messages and auxiliary bytes', () => {
    let oddY = 0
    for (let i = 0; i < 64; i++) {
      const sk = generateSecretKey()
      const message = crypto.getRandomValues(new Uint8Array(32))
      const aux = crypto.getRandomValues(new Uint8Array(32))
      const d = BigInt('0x' + bytesToHex(sk))
      const P = schnorr.Point.BASE.multiply(d).toAffine()
      if (P.y % 2n === 1n) oddY++
      const prepared = P.y % 2n === 1n ? schnorr.Point.Fn.neg(d) : d
      assert.equal(bytesToHex(signPrepared(prepared, schnorr.Point.Fp.toBytes(P.x), message, aux)), bytesToHex(schnorr.sign(message, sk, aux)))
    }
    assert.ok(oddY > 0 && oddY < 64, 'both parities of y were drawn')
  })
})

describe('Schnorr backends', () => {
  test('every backend signs events that nostr-tools verifies, and each verifies the others', async () => {
    const all = await backends()
    const signed = all.map((b, i) => {
      const signer = createLocalSigner(generateSecretKey(), { schnorr: b })
      b.key(generateSecretKey()) // another key prepared in between must not disturb the first
      return { backend: b.name, event: signer.signEvent(template(i)) }
    })
    for (const { backend, event } of signed) {
      const e: NostrEvent = await event
      assert.equal(verifyEvent(structuredClone(e)), true, `${backend}'s signature under nostr-tools`)
      for (const verifier of all) assert.equal(verifier.verify(e), true, `${backend}'s signature under ${verifier.name}`)
    }
  })

  test('a flipped bit in the signature, the id or the public key fails under every backend and nostr-tools', async () => {
    const all = await backends()
    for (const b of all) {
      const event = await createLocalSigner(generateSecretKey(), { schnorr: b }).signEvent(template(1))
      for (const at of [0, 31, 64, 127]) {
        const forged = { ...event, sig: flip(event.sig, at) }
        assert.equal(verifyEvent(structuredClone(forged)), false)
        for (const verifier of all) assert.equal(verifier.verify(forged), false, `${b.name} sig bit ${at} under ${verifier.name}`)
      }
      for (const verifier of all) {
        assert.equal(verifier.verify({ ...event, pubkey: flip(event.pubkey, 10) }), false, `${b.name} pubkey under ${verifier.name}`)
        assert.equal(verifier.verify({ ...event, id: flip(event.id, 5) }), false, `${b.name} id under ${verifier.name}`)
      }
    }
  })

  test('signatures carry fresh auxiliary randomness: the same event signed twice differs, both valid', async () => {
    for (const b of await backends()) {
      const signer = createLocalSigner(generateSecretKey(), { schnorr: b })
      const [a, c] = [await signer.signEvent(template(2)), await signer.signEvent(template(2))]
      assert.equal(a.id, c.id)
      assert.notEqual(a.sig, c.sig, `${b.name} reused its nonce`)
      assert.ok(verifyEvent(structuredClone(a)) && verifyEvent(structuredClone(c)))
    }
  })

  test('native: the keypair is made once per key, however many events it signs; with fixed aux it equals noble', { skip: skipNative }, () => {
    const real = addon()
    let keypairs = 0
    const counted: SchnorrAddon = { ...real, keypair: (sk) => (keypairs++, real.keypair(sk)) }
    const aux = crypto.getRandomValues(new Uint8Array(32))
    const sk = generateSecretKey()
    const key = nativeSchnorr(counted, { randomBytes: () => aux }).key(sk)
    for (let i = 0; i < 5; i++) {
      const event = { ...template(i), pubkey: key.pubkey, id: '', sig: '' }
      key.finalize(event)
      assert.equal(event.sig, bytesToHex(schnorr.sign(hexToBytes(event.id), sk, aux)))
    }
    assert.equal(keypairs, 1)
  })

  test('native: a bad secret key is a clear error; malformed verify input is false, never a throw', { skip: skipNative }, () => {
    const backend = nativeSchnorr(addon())
    assert.throws(() => backend.key(new Uint8Array(32)), /not a valid secp256k1 scalar/)
    assert.throws(() => backend.key(hexToBytes('ff'.repeat(32))), /not a valid secp256k1 scalar/)
    assert.throws(() => backend.key(new Uint8Array(31)), /must be 32 bytes/)
    assert.throws(() => addon().sign(addon().keypair(generateSecretKey()), 'xyz', new Uint8Array(32)), /64 hex characters/)
    assert.throws(() => addon().sign(addon().keypair(generateSecretKey()), '00'.repeat(32), new Uint8Array(8)), /auxiliary randomness must be a Uint8Array of 32 bytes/)
    const good = { id: '00'.repeat(32), pubkey: vectors[1]!.publicKey, sig: vectors[1]!.signature! }
    for (const bad of [{ ...good, sig: 'zz' + good.sig.slice(2) }, { ...good, sig: good.sig.slice(2) }, { ...good, pubkey: 42 as unknown as string }, { ...good, id: '' }]) {
      assert.equal(backend.verify(bad), false)
    }
  })

  test('noble: a bad secret key is a clear error', () => {
    assert.throws(() => nobleSchnorr().key(new Uint8Array(32)), /not a valid secp256k1 scalar/)
    assert.throws(() => nobleSchnorr().key(new Uint8Array(33)), /must be 32 bytes/)
  })
})
