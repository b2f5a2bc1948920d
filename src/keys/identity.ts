// A participant's identity: one secp256k1 secret, stored once (mode 0600, under INFERNET_HOME), that is its Nostr key
// (Schnorr, x-only pubkey) and from which its payment key (the Ethereum account it pays and is paid with) is derived
// (src/keys/paymentKey.ts, nips/cpr.md §1), so the public Nostr key does not give the address away. Key files written
// before version 2 keep paying from the Nostr key itself (`paymentKey: 'nostr'`), so funds deposited from that
// address stay reachable; `infernet keys --import <nsec> --force` rewrites such a file with a derived payment key.
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { decode, nsecEncode, npubEncode } from 'nostr-tools/nip19'
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { privateKeyToAccount } from 'viem/accounts'
import { BaseError } from '../errors/base.ts'
import { derivePaymentKey } from './paymentKey.ts'

/** 'derived': the unlinkable payment key of nips/cpr.md §1 (the default); 'nostr': the Nostr key itself (linkable). */
export type PaymentKeyKind = 'derived' | 'nostr'

export type Identity = {
  /** The Nostr secret key. */
  secretKey: Uint8Array
  pubkey: string
  npub: string
  paymentKey: PaymentKeyKind
  /** The secret key of the Ethereum account this identity pays and is paid with. */
  paymentSecretKey: Uint8Array
  /** Ethereum address of the payment key, for settlement. */
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

export function identityFromSecretKey(secretKey: Uint8Array, { paymentKey = 'derived' }: { paymentKey?: PaymentKeyKind | undefined } = {}): Identity {
  if (secretKey.length !== 32) throw new InvalidKeyError('expected 32 bytes')
  let pubkey: string
  try {
    pubkey = getPublicKey(secretKey)
  } catch {
    throw new InvalidKeyError('not a valid secp256k1 scalar')
  }
  const paymentSecretKey = paymentKey === 'nostr' ? secretKey : derivePaymentKey(secretKey)
  return {
    secretKey,
    pubkey,
    npub: npubEncode(pubkey),
    paymentKey,
    paymentSecretKey,
    address: privateKeyToAccount(`0x${bytesToHex(paymentSecretKey)}`).address,
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
  const body = JSON.stringify({ version: 2, nsec: nsecEncode(identity.secretKey), npub: identity.npub, paymentKey: identity.paymentKey }, null, 2) + '\n'
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
  const { nsec, version, paymentKey } = parsed as { nsec?: unknown; version?: unknown; paymentKey?: unknown }
  if (typeof nsec !== 'string') throw new BaseError(`Key file ${path} has no "nsec" field.`)
  // Version 1 files predate the derived payment key: their funds sit at the Nostr key's own address.
  const kind = paymentKey ?? (version === 1 ? 'nostr' : 'derived')
  if (kind !== 'derived' && kind !== 'nostr') throw new BaseError(`Key file ${path} has an unknown "paymentKey" ${JSON.stringify(kind)}.`, { metaMessages: ['Use "derived" (unlinkable, the default) or "nostr" (pay from the Nostr key itself).'] })
  return identityFromSecretKey(parseSecretKey(nsec), { paymentKey: kind })
}

/** Loads the identity at `path`, creating and saving a new one when the file does not exist. */
export function loadOrCreateIdentity(path: string): { identity: Identity; created: boolean } {
  if (existsSync(path)) return { identity: loadIdentity(path), created: false }
  const identity = createIdentity()
  // Two processes starting at once on a fresh home (say two `infernet chat`) must end up with the same key.
  if (!writeKeyFile(path, identity, { exclusive: true })) return { identity: loadIdentity(path), created: false }
  return { identity, created: true }
}
