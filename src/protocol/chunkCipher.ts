// Chunk frames on the direct channel sealed with one key per job instead of NIP-44 per frame (nips/stream.md,
// "Chunk cipher"): NIP-44 derives three keys with HKDF and MACs with HMAC-SHA256 for every frame (about 30 µs to
// encrypt and as much to decrypt, per frame, on each side), while a per-job ChaCha20-Poly1305 key (RFC 8439) is
// derived once and each frame is one AEAD call (about 10 µs to seal and 5 to open in Node's native crypto).
//
// Why it is safe: the job key is HKDF-SHA256 of the NIP-44 conversation key (the node-client ECDH secret, which only
// the two hold) with the job id as salt, so every job has its own key and nobody else can derive it. Each frame has
// a fresh random 96-bit nonce (a job's frames number far below the 2^32 where random nonces start to risk a repeat);
// no counter is used because one job's frames go to several listeners, each numbered from 0. Poly1305 authenticates
// every frame as NIP-44's MAC did, and the result event's output hash still covers the whole output at the end.
// A client asks for it in the job payload (`chunks`), so a node that does not know the field sends NIP-44 frames as
// before, and a client that did not ask never gets one.
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { hexToBytes, randomBytes } from '@noble/hashes/utils.js'
import { base64 } from '@scure/base'
import type * as NodeCrypto from 'node:crypto'

/** The one chunk cipher there is; the `enc` of a chunk frame and the `chunks` of a job payload. */
export const chunkCipher = 'chacha20poly1305' as const
export type ChunkCipher = typeof chunkCipher

const info = new TextEncoder().encode('infernet/chunk/chacha20poly1305/v1')
const nonceBytes = 12
const tagBytes = 16

/** The job's chunk key: HKDF-SHA256(ikm = NIP-44 conversation key, salt = the job id's 32 bytes, info). */
export function chunkKey(conversationKey: Uint8Array, job: string): Uint8Array {
  return hkdf(sha256, conversationKey, hexToBytes(job), info, 32)
}

type Aead = {
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array
  open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Uint8Array
}

/** Node's native ChaCha20-Poly1305 when there is one (no static import: browsers bundle this module too). */
function nativeAead(): Aead | undefined {
  const get = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule
  const crypto = get?.('node:crypto') as typeof NodeCrypto | undefined
  if (!crypto?.createCipheriv) return undefined
  return {
    seal(key, nonce, plaintext) {
      const c = crypto.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: tagBytes })
      const body = c.update(plaintext)
      c.final()
      const tag = c.getAuthTag()
      const out = new Uint8Array(body.length + tagBytes)
      out.set(body)
      out.set(tag, body.length)
      return out
    },
    open(key, nonce, sealed) {
      const d = crypto.createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: tagBytes })
      d.setAuthTag(sealed.subarray(sealed.length - tagBytes))
      const body = d.update(sealed.subarray(0, sealed.length - tagBytes))
      d.final()
      return body
    },
  }
}

const portableAead: Aead = {
  seal: (key, nonce, plaintext) => chacha20poly1305(key, nonce).encrypt(plaintext),
  open: (key, nonce, sealed) => chacha20poly1305(key, nonce).decrypt(sealed),
}

let aead: Aead | undefined
const use = (): Aead => (aead ??= nativeAead() ?? portableAead)

/** base64(nonce ‖ ciphertext ‖ tag) of `text` under the job key. `nonce` is for test vectors only. */
export function sealChunk(key: Uint8Array, text: string, nonce: Uint8Array = randomBytes(nonceBytes)): string {
  const sealed = use().seal(key, nonce, new TextEncoder().encode(text))
  const out = new Uint8Array(nonceBytes + sealed.length)
  out.set(nonce)
  out.set(sealed, nonceBytes)
  return base64.encode(out)
}

/** The text of a sealed chunk; throws when it was not sealed under `key` or was altered. */
export function openChunk(key: Uint8Array, payload: string): string {
  const bytes = base64.decode(payload)
  if (bytes.length < nonceBytes + tagBytes) throw new Error('sealed chunk too short')
  const text = use().open(key, bytes.subarray(0, nonceBytes), bytes.subarray(nonceBytes))
  return new TextDecoder('utf-8', { fatal: true }).decode(text)
}

/** For tests: seal and open with the portable implementation (the one browsers run), whatever this runtime has. */
export const portableChunkAead = { seal: portableAead.seal, open: portableAead.open }
