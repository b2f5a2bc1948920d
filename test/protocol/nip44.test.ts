import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { getPublicKey } from 'nostr-tools/pure'
import { calcPaddedLen, decrypt, decryptLarge, encrypt, encryptLarge, getConversationKey, getMessageKeys } from '../../src/protocol/nip44.ts'
import { nodeNip44 } from '../../src/crypto/nip44Node.ts'

// The official vectors, carried in the repository so a clone anywhere runs them; the digest is the one NIP-44 publishes,
// so the copy cannot drift from the NIP unnoticed.
const vectorsFile = readFileSync(new URL('../vectors/nip44.vectors.json', import.meta.url))
const vectors = JSON.parse(vectorsFile.toString('utf8')).v2

test('the vectors file is the one NIP-44 publishes', () => {
  assert.equal(bytesToHex(sha256(vectorsFile)), '269ed0f69e4c192512cc779e78c555090cebc7c785b609e338a62afc3ce25040')
})

test('get_conversation_key: every valid vector', () => {
  for (const v of vectors.valid.get_conversation_key) {
    assert.equal(bytesToHex(getConversationKey(hexToBytes(v.sec1), v.pub2)), v.conversation_key)
  }
})

test('get_message_keys: every vector', () => {
  const { conversation_key, keys } = vectors.valid.get_message_keys
  for (const k of keys) {
    const mk = getMessageKeys(hexToBytes(conversation_key), hexToBytes(k.nonce))
    assert.equal(bytesToHex(mk.chachaKey), k.chacha_key)
    assert.equal(bytesToHex(mk.chachaNonce), k.chacha_nonce)
    assert.equal(bytesToHex(mk.hmacKey), k.hmac_key)
  }
})

test('calc_padded_len: every vector', () => {
  for (const [len, padded] of vectors.valid.calc_padded_len) assert.equal(calcPaddedLen(len), padded)
})

test('encrypt_decrypt: every valid vector, both directions', () => {
  for (const v of vectors.valid.encrypt_decrypt) {
    const key = getConversationKey(hexToBytes(v.sec1), getPublicKey(hexToBytes(v.sec2)))
    assert.equal(bytesToHex(key), v.conversation_key)
    const keyBack = getConversationKey(hexToBytes(v.sec2), getPublicKey(hexToBytes(v.sec1)))
    assert.deepEqual(keyBack, key)
    assert.equal(encrypt(v.plaintext, key, hexToBytes(v.nonce)), v.payload)
    assert.equal(decrypt(v.payload, key), v.plaintext)
  }
})

test('encrypt_decrypt_long_msg: every vector', () => {
  for (const v of vectors.valid.encrypt_decrypt_long_msg) {
    const plaintext = v.pattern.repeat(v.repeat)
    assert.equal(bytesToHex(sha256(new TextEncoder().encode(plaintext))), v.plaintext_sha256)
    const payload = encrypt(plaintext, hexToBytes(v.conversation_key), hexToBytes(v.nonce))
    assert.equal(bytesToHex(sha256(new TextEncoder().encode(payload))), v.payload_sha256)
    assert.equal(decrypt(payload, hexToBytes(v.conversation_key)), plaintext)
  }
})

test('invalid encrypt_msg_lengths: every vector throws', () => {
  const key = new Uint8Array(32).fill(1)
  for (const len of vectors.invalid.encrypt_msg_lengths) {
    assert.throws(() => encrypt('a'.repeat(len), key), /plaintext must be/)
  }
})

test('invalid get_conversation_key: every vector throws', () => {
  for (const v of vectors.invalid.get_conversation_key) {
    assert.throws(() => getConversationKey(hexToBytes(v.sec1), v.pub2), Error, v.note)
  }
})

test('invalid decrypt: every vector throws', () => {
  for (const v of vectors.invalid.decrypt) {
    assert.throws(() => decrypt(v.payload, hexToBytes(v.conversation_key)), /NIP-44 payload rejected/, v.note)
  }
})

test('encryptLarge splits payloads above 65535 bytes and round-trips multibyte text', () => {
  const key = new Uint8Array(32).fill(7)
  const text = 'héllo wörld 🌍 '.repeat(12_000)
  const payload = encryptLarge(text, key)
  assert.ok(payload.split(' ').length > 1)
  assert.equal(decryptLarge(payload, key), text)
  assert.equal(encryptLarge('short', key).split(' ').length, 1)
  assert.throws(() => decryptLarge(Array(9).fill(encrypt('x', key)).join(' '), key), /at most 8/)
})

// The node:crypto implementation (src/crypto/nip44Node.ts, what Node processes' signers use) under the same vectors:
// the same payloads byte for byte, the same refusals, and each side opens the other's payloads.
test('node:crypto NIP-44: every valid vector byte for byte, every invalid one refused, interchangeable with the pure one', () => {
  for (const v of vectors.valid.encrypt_decrypt) {
    const key = hexToBytes(v.conversation_key)
    assert.equal(nodeNip44.encrypt(v.plaintext, key, hexToBytes(v.nonce)), v.payload)
    assert.equal(nodeNip44.decrypt(v.payload, key), v.plaintext)
  }
  for (const v of vectors.valid.encrypt_decrypt_long_msg) {
    const plaintext = v.pattern.repeat(v.repeat)
    const payload = nodeNip44.encrypt(plaintext, hexToBytes(v.conversation_key), hexToBytes(v.nonce))
    assert.equal(bytesToHex(sha256(new TextEncoder().encode(payload))), v.payload_sha256)
    assert.equal(nodeNip44.decrypt(payload, hexToBytes(v.conversation_key)), plaintext)
  }
  const key = new Uint8Array(32).fill(1)
  for (const len of vectors.invalid.encrypt_msg_lengths) assert.throws(() => nodeNip44.encrypt('a'.repeat(len), key), /plaintext must be/)
  for (const v of vectors.invalid.decrypt) {
    assert.throws(() => nodeNip44.decrypt(v.payload, hexToBytes(v.conversation_key)), /NIP-44 payload rejected/, v.note)
  }
  const text = 'héllo wörld 🌍 '.repeat(300)
  assert.equal(decrypt(nodeNip44.encrypt(text, key), key), text)
  assert.equal(nodeNip44.decrypt(encrypt(text, key), key), text)
  // Buffer's base64 decoder would skip these characters; NIP-44 refuses them.
  const good = encrypt('hello', key)
  assert.throws(() => nodeNip44.decrypt(`${good.slice(0, 40)}!${good.slice(41)}`, key), /not valid base64/)
})
