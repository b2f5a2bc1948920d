// Who signs the playground's jobs: the browser's NIP-07 provider (an extension's `window.nostr`) when it offers
// NIP-44, so the key stays in the extension; otherwise a key generated in the page and kept in localStorage, so a
// reload keeps the same identity. The label says which one is in use, because the two differ in who holds the key.
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { npubEncode } from 'nostr-tools/nip19'
import { generateSecretKey } from 'nostr-tools/pure'
import { createLocalSigner, createNip07Signer, type Nip07Provider, type Signer } from '../../../../client/index.ts'

export const localKeyStorageKey = 'infernet.playground.secretKey'

export type PlaygroundSigner = { signer: Signer; kind: 'nip07' | 'local'; label: string }

/** The part of `localStorage` used here, injected so tests and private windows can pass their own. */
export type KeyStorage = Pick<Storage, 'getItem' | 'setItem'>

/** The stored key when it is a valid 32-byte hex key, else a new one (stored when storage allows it). */
export function loadOrCreateLocalKey(storage: KeyStorage | undefined): Uint8Array {
  const stored = storage?.getItem(localKeyStorageKey)
  if (stored && /^[0-9a-f]{64}$/.test(stored)) return hexToBytes(stored)
  const key = generateSecretKey()
  try {
    storage?.setItem(localKeyStorageKey, bytesToHex(key))
  } catch {
    // Storage full or refused (private mode): the key lasts for this page only.
  }
  return key
}

export async function pickSigner({ provider, storage }: { provider?: Nip07Provider | undefined; storage?: KeyStorage | undefined }): Promise<PlaygroundSigner> {
  let note = ''
  if (provider) {
    try {
      const signer = await createNip07Signer(provider)
      return { signer, kind: 'nip07', label: `NIP-07 (window.nostr): ${npubEncode(signer.pubkey)}` }
    } catch (err) {
      // No NIP-44, or the user declined: fall back rather than leave the page unusable.
      note = ` (window.nostr was not usable: ${err instanceof Error ? err.message : String(err)})`
    }
  }
  const signer = createLocalSigner(loadOrCreateLocalKey(storage))
  return { signer, kind: 'local', label: `local key, kept in this browser: ${npubEncode(signer.pubkey)}${note}` }
}
