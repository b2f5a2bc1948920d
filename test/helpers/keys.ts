// Deterministic identities for tests: the same name always gives the same key.
import { sha256 } from '@noble/hashes/sha2.js'
import { getPublicKey } from 'nostr-tools/pure'
import { createLocalSigner, type LocalSigner } from '../../src/signer.ts'

export function testSecretKey(name: string): Uint8Array {
  return sha256(new TextEncoder().encode(`infernet-test-key:${name}`))
}

export function testSigner(name: string): LocalSigner & { secretKey: Uint8Array } {
  const secretKey = testSecretKey(name)
  return Object.assign(createLocalSigner(secretKey), { secretKey })
}

export function testPubkey(name: string): string {
  return getPublicKey(testSecretKey(name))
}

/** A fixed clock for deterministic created_at values. */
export const fixedNow = 1_764_000_000
