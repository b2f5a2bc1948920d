// NIP-44 v2: ECDH conversation key, HKDF message keys, padded ChaCha20 + HMAC-SHA256. Written against the NIP
// text and checked against every official vector (test/protocol/nip44.test.ts). Pure: no node:* imports.
import { chacha20 } from '@noble/ciphers/chacha.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { expand, extract } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { concatBytes, hexToBytes, randomBytes } from '@noble/hashes/utils.js'
import { base64 } from '@scure/base'
import { BaseError } from '../errors/base.ts'

const salt = new TextEncoder().encode('nip44-v2')
const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })
export const minPlaintextSize = 1
export const maxPlaintextSize = 65535

export class Nip44Error extends BaseError {
  override name = 'Nip44Error'
  override code = 'undecryptable'
  constructor(reason: string) {
    super(`NIP-44 payload rejected: ${reason}`, { docsPath: 'README.md#encryption' })
  }
}

/** Shared secret between `secretKey` and x-only `publicKeyHex`, reduced with HKDF-extract. Symmetric. */
export function getConversationKey(secretKey: Uint8Array, publicKeyHex: string): Uint8Array {
  const shared = secp256k1.getSharedSecret(secretKey, hexToBytes('02' + publicKeyHex))
  return extract(sha256, shared.subarray(1, 33), salt)
}

export function getMessageKeys(conversationKey: Uint8Array, nonce: Uint8Array): { chachaKey: Uint8Array; chachaNonce: Uint8Array; hmacKey: Uint8Array } {
  if (conversationKey.length !== 32) throw new Nip44Error('conversation key must be 32 bytes')
  if (nonce.length !== 32) throw new Nip44Error('nonce must be 32 bytes')
  const keys = expand(sha256, conversationKey, nonce, 76)
  return { chachaKey: keys.subarray(0, 32), chachaNonce: keys.subarray(32, 44), hmacKey: keys.subarray(44, 76) }
}

export function calcPaddedLen(length: number): number {
  if (!Number.isSafeInteger(length) || length < 1) throw new Nip44Error('expected a positive integer length')
  if (length <= 32) return 32
  const nextPower = 1 << (Math.floor(Math.log2(length - 1)) + 1)
  const chunk = nextPower <= 256 ? 32 : nextPower / 8
  return chunk * (Math.floor((length - 1) / chunk) + 1)
}

/** The padded plaintext: 2-byte big-endian length, the UTF-8 bytes, zeros to calcPaddedLen. */
export function pad(plaintext: string): Uint8Array {
  const bytes = encoder.encode(plaintext)
  const length = bytes.length
  if (length < minPlaintextSize || length > maxPlaintextSize) {
    throw new Nip44Error(`plaintext must be ${minPlaintextSize}-${maxPlaintextSize} bytes, got ${length}`)
  }
  const out = new Uint8Array(2 + calcPaddedLen(length))
  out[0] = length >> 8
  out[1] = length & 0xff
  out.set(bytes, 2)
  return out
}

export function unpad(padded: Uint8Array): string {
  const length = (padded[0]! << 8) | padded[1]!
  if (length < minPlaintextSize || length > maxPlaintextSize) throw new Nip44Error('invalid padding length')
  if (padded.length !== 2 + calcPaddedLen(length)) throw new Nip44Error('invalid padding')
  try {
    return decoder.decode(padded.subarray(2, 2 + length))
  } catch {
    throw new Nip44Error('plaintext is not valid UTF-8')
  }
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

export function encrypt(plaintext: string, conversationKey: Uint8Array, nonce: Uint8Array = randomBytes(32)): string {
  const { chachaKey, chachaNonce, hmacKey } = getMessageKeys(conversationKey, nonce)
  const ciphertext = chacha20(chachaKey, chachaNonce, pad(plaintext))
  const mac = hmac(sha256, hmacKey, concatBytes(nonce, ciphertext))
  return base64.encode(concatBytes(new Uint8Array([2]), nonce, ciphertext, mac))
}

/**
 * A payload's parts after the checks that need no key (version, lengths, base64). `decodeBase64` is injected so a
 * Node caller can use Buffer's decoder; it must throw on input that is not base64.
 */
export function parsePayload(payload: string, decodeBase64: (text: string) => Uint8Array = (t) => base64.decode(t)): { data: Uint8Array; nonce: Uint8Array; ciphertext: Uint8Array; mac: Uint8Array } {
  if (typeof payload !== 'string' || payload.length === 0) throw new Nip44Error('empty payload')
  if (payload[0] === '#') throw new Nip44Error('unknown encryption version')
  if (payload.length < 132 || payload.length > 87472) throw new Nip44Error(`invalid payload length ${payload.length}`)
  let data: Uint8Array
  try {
    data = decodeBase64(payload)
  } catch {
    throw new Nip44Error('payload is not valid base64')
  }
  if (data.length < 99 || data.length > 65603) throw new Nip44Error(`invalid decoded length ${data.length}`)
  if (data[0] !== 2) throw new Nip44Error(`unknown encryption version ${data[0]}`)
  return { data, nonce: data.subarray(1, 33), ciphertext: data.subarray(33, data.length - 32), mac: data.subarray(data.length - 32) }
}

export function decrypt(payload: string, conversationKey: Uint8Array): string {
  const { nonce, ciphertext, mac } = parsePayload(payload)
  const { chachaKey, chachaNonce, hmacKey } = getMessageKeys(conversationKey, nonce)
  if (!equalBytes(hmac(sha256, hmacKey, concatBytes(nonce, ciphertext)), mac)) throw new Nip44Error('invalid MAC')
  return unpad(chacha20(chachaKey, chachaNonce, ciphertext))
}

/**
 * Payloads larger than one NIP-44 message (65535 bytes) are split on character boundaries into several
 * payloads joined by a single space (never a base64 character). Small payloads stay plain NIP-44.
 */
export function encryptLarge(plaintext: string, conversationKey: Uint8Array): string {
  return splitPlaintext(plaintext).map((p) => encrypt(p, conversationKey)).join(' ')
}

/** The parts `encryptLarge` encrypts one by one (each at most one NIP-44 message); one part when it fits. */
export function splitPlaintext(plaintext: string): string[] {
  if (encoder.encode(plaintext).length <= maxPlaintextSize) return [plaintext]
  const parts: string[] = []
  let current = ''
  let currentBytes = 0
  for (const char of plaintext) {
    const size = char.length === 1 ? (char.charCodeAt(0) < 0x80 ? 1 : char.charCodeAt(0) < 0x800 ? 2 : 3) : 4
    if (currentBytes + size > maxPlaintextSize) {
      parts.push(current)
      current = ''
      currentBytes = 0
    }
    current += char
    currentBytes += size
  }
  if (current) parts.push(current)
  return parts
}

export function decryptLarge(payload: string, conversationKey: Uint8Array, maxParts = 8): string {
  return splitPayload(payload, maxParts).map((p) => decrypt(p, conversationKey)).join('')
}

/** The NIP-44 payloads of a large payload, in order; throws when there are more than `maxParts`. */
export function splitPayload(payload: string, maxParts = 8): string[] {
  const parts = payload.split(' ')
  if (parts.length > maxParts) throw new Nip44Error(`${parts.length} payload parts, at most ${maxParts} allowed`)
  return parts
}
