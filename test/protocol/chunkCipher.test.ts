// The chunk cipher (src/protocol/chunkCipher.ts, nips/stream.md "Chunk cipher") against test/vectors/chunkCipher.json:
// the job key from the conversation key, sealed chunks byte for byte, native and portable implementations
// interchangeable, and a chunk altered, cut short, or opened under another job's key refused.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { base64 } from '@scure/base'
import { chunkKey, openChunk, portableChunkAead, sealChunk } from '../../src/protocol/chunkCipher.ts'
import { getConversationKey } from '../../src/protocol/nip44.ts'
import { testPubkey, testSecretKey } from '../helpers/keys.ts'

const v = JSON.parse(readFileSync(new URL('../vectors/chunkCipher.json', import.meta.url), 'utf8')) as {
  conversationKey: string
  job: string
  key: string
  chunks: { text: string; nonce: string; sealed: string }[]
}

test('vectors: the job key, and every chunk sealed and opened byte for byte', () => {
  const conversationKey = getConversationKey(testSecretKey('client'), testPubkey('node'))
  assert.equal(bytesToHex(conversationKey), v.conversationKey)
  assert.equal(bytesToHex(chunkKey(conversationKey, v.job)), v.key)
  const key = hexToBytes(v.key)
  for (const c of v.chunks) {
    assert.equal(sealChunk(key, c.text, hexToBytes(c.nonce)), c.sealed)
    assert.equal(openChunk(key, c.sealed), c.text)
    // What a browser runs (no native crypto) produces and opens the same bytes.
    const bytes = base64.decode(c.sealed)
    assert.deepEqual(portableChunkAead.seal(key, hexToBytes(c.nonce), new TextEncoder().encode(c.text)), bytes.subarray(12))
    assert.equal(new TextDecoder().decode(portableChunkAead.open(key, bytes.subarray(0, 12), bytes.subarray(12))), c.text)
  }
})

test("refused: a flipped bit, a cut chunk, another job's key; two seals of one text differ (fresh nonces)", () => {
  const key = hexToBytes(v.key)
  const sealed = base64.decode(v.chunks[0]!.sealed)
  for (const i of [0, 12, sealed.length - 1]) {
    const bad = sealed.slice()
    bad[i]! ^= 1
    assert.throws(() => openChunk(key, base64.encode(bad)), Error, `bit flipped at byte ${i}`)
  }
  assert.throws(() => openChunk(key, base64.encode(sealed.subarray(0, 20))), /too short/)
  const other = chunkKey(hexToBytes(v.conversationKey), 'cd'.repeat(32))
  assert.throws(() => openChunk(other, v.chunks[0]!.sealed))
  assert.notEqual(sealChunk(key, 'same'), sealChunk(key, 'same'))
})
