// A participant's identity: one secp256k1 key used as a Nostr key (Schnorr, x-only pubkey) and as an
// Ethereum account (ECDSA) for payments. Stored once, mode 0600, under INFERNET_HOME.
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { decode, nsecEncode, npubEncode } from 'nostr-tools/nip19'
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { privateKeyToAccount } from 'viem/accounts'
import { BaseError } from '../errors/base.ts'

export type Identity = {
  secretKey: Uint8Array
  pubkey: string
  npub: string
  /** Ethereum address of the same key, for settlement. */
  address: `0x${string}`
}

export class InvalidKeyError extends BaseError {
  override name = 'InvalidKeyError'
  override code = 'invalid-key'
  constructor(reason: string) {
    super(`Invalid secret key: ${reason}`, {
      metaMessages: ['Give a 64-character hex key or an nsec1… string (NIP-19).'],
    })
  }
}

export class KeyFilePermissionsError extends BaseError {
  override name = 'KeyFilePermissionsError'
  override code = 'key-permissions'
  constructor(path: string, mode: number) {
    super(`Key file ${path} is readable by other users (mode ${(mode & 0o777).toString(8)}).`, {
      metaMessages: [`Run: chmod 600 ${path}`],
    })
  }
}

export function identityFromSecretKey(secretKey: Uint8Array): Identity {
  if (secretKey.length !== 32) throw new InvalidKeyError('expected 32 bytes')
  let pubkey: string
  try {
    pubkey = getPublicKey(secretKey)
  } catch {
    throw new InvalidKeyError('not a valid secp256k1 scalar')
  }
  return {
    secretKey,
    pubkey,
    npub: npubEncode(pubkey),
    address: privateKeyToAccount(`0x${bytesToHex(secretKey)}`).address,
  }
}

export function createIdentity(): Identity {
  return identityFromSecretKey(generateSecretKey())
}

/** Accepts `nsec1…` or 64 hex characters (with or without 0x). */
export function parseSecretKey(input: string): Uint8Array {
  const value = input.trim()
  if (value.startsWith('nsec1')) {
    try {
      const decoded = decode(value)
      if (decoded.type === 'nsec') return decoded.data
    } catch {
      throw new InvalidKeyError('nsec checksum or encoding is wrong')
    }
    throw new InvalidKeyError('not an nsec')
  }
  const hex = value.startsWith('0x') ? value.slice(2) : value
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new InvalidKeyError('expected nsec1… or 64 hex characters')
  return hexToBytes(hex.toLowerCase())
}

/** Accepts `npub1…` or 64 hex characters; returns lowercase hex. */
export function parsePublicKey(input: string): string {
  const value = input.trim()
  if (value.startsWith('npub1')) {
    const decoded = decode(value)
    if (decoded.type !== 'npub') throw new BaseError(`Not an npub: ${value}`)
    return decoded.data
  }
  if (!/^[0-9a-fA-F]{64}$/.test(value)) throw new BaseError(`Invalid public key "${value}": expected npub1… or 64 hex characters`)
  return value.toLowerCase()
}

export function exportSecretKey(identity: Identity): { hex: string; nsec: string } {
  return { hex: bytesToHex(identity.secretKey), nsec: nsecEncode(identity.secretKey) }
}

export function keyPath(home: string): string {
  return join(home, 'key.json')
}

/**
 * Writes the key file so that no reader ever sees half of it: the key goes to a private temporary file first, which
 * then replaces `path` (rename) or, with `exclusive`, is linked to it only if nothing is there yet (link fails
 * instead of overwriting). Returns false when `exclusive` and another process created `path` first.
 */
function writeKeyFile(path: string, identity: Identity, { exclusive }: { exclusive: boolean }): boolean {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const body = JSON.stringify({ version: 1, nsec: nsecEncode(identity.secretKey), npub: identity.npub }, null, 2) + '\n'
  const tmp = `${path}.${process.pid}.${bytesToHex(crypto.getRandomValues(new Uint8Array(6)))}.tmp`
  writeFileSync(tmp, body, { mode: 0o600, flag: 'wx' })
  try {
    chmodSync(tmp, 0o600)
    if (!exclusive) {
      renameSync(tmp, path)
      return true
    }
    try {
      linkSync(tmp, path)
      return true
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw err
    }
  } finally {
    rmSync(tmp, { force: true })
  }
}

export function saveIdentity(path: string, identity: Identity): void {
  writeKeyFile(path, identity, { exclusive: false })
}

export function loadIdentity(path: string): Identity {
  const mode = statSync(path).mode
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) throw new KeyFilePermissionsError(path, mode)
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (cause) {
    throw new BaseError(`Key file ${path} is not valid JSON.`, { cause })
  }
  const nsec = (parsed as { nsec?: unknown }).nsec
  if (typeof nsec !== 'string') throw new BaseError(`Key file ${path} has no "nsec" field.`)
  return identityFromSecretKey(parseSecretKey(nsec))
}

/** Loads the identity at `path`, creating and saving a new one when the file does not exist. */
export function loadOrCreateIdentity(path: string): { identity: Identity; created: boolean } {
  if (existsSync(path)) return { identity: loadIdentity(path), created: false }
  const identity = createIdentity()
  // Two processes starting at once on a fresh home (say two `infernet chat`) must end up with the same key.
  if (!writeKeyFile(path, identity, { exclusive: true })) return { identity: loadIdentity(path), created: false }
  return { identity, created: true }
}
