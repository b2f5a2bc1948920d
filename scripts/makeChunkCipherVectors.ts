// Regenerates test/vectors/chunkCipher.json (nips/stream.md, "Chunk cipher"): the job chunk key for a client-node pair
// and a job id, and chunks sealed under it with fixed nonces, so any implementation checks its key derivation and its
// ChaCha20-Poly1305 framing byte for byte. Keys: test/helpers/keys.ts. Run: node --import tsx scripts/makeChunkCipherVectors.ts
import { writeFileSync } from 'node:fs'
import { bytesToHex } from '@noble/hashes/utils.js'
import { chunkKey, openChunk, sealChunk } from '../src/protocol/chunkCipher.ts'
import { getConversationKey } from '../src/protocol/nip44.ts'
import { testPubkey, testSecretKey } from '../test/helpers/keys.ts'

const conversationKey = getConversationKey(testSecretKey('client'), testPubkey('node'))
const job = 'ab'.repeat(32)
const key = chunkKey(conversationKey, job)
const nonce = (n: number) => Uint8Array.from({ length: 12 }, (_, i) => (n * 31 + i) & 0xff)
const texts = ['Hello', '', '{"text":"x","tool_calls":[{"index":0,"id":"call_1","name":"f","arguments":"{}"}]}', 'naïve café — 日本語 🚀']
const chunks = texts.map((text, i) => ({ text, nonce: bytesToHex(nonce(i)), sealed: sealChunk(key, text, nonce(i)) }))
for (const c of chunks) if (openChunk(key, c.sealed) !== c.text) throw new Error('a vector does not open')
const vectors = {
  description: 'Chunk cipher (nips/stream.md): key = HKDF-SHA256(ikm = NIP-44 conversation key, salt = job id bytes, info "infernet/chunk/chacha20poly1305/v1", 32 bytes); sealed = base64(nonce 12 ‖ ChaCha20-Poly1305 ciphertext ‖ tag 16). Made by scripts/makeChunkCipherVectors.ts.',
  client: testPubkey('client'),
  node: testPubkey('node'),
  conversationKey: bytesToHex(conversationKey),
  job,
  key: bytesToHex(key),
  chunks,
}
writeFileSync(new URL('../test/vectors/chunkCipher.json', import.meta.url), JSON.stringify(vectors, null, 2) + '\n')
console.log('wrote test/vectors/chunkCipher.json')
