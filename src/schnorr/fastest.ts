// The fastest Schnorr backend this Node process can have: the native libsecp256k1 addon, else libsecp256k1 as
// WASM, else @noble/curves, with one line saying why when it falls back. Node only (the addon loader reads the
// file system); browsers and the SDK build their signer and verifier from wasm.ts or noble.ts directly.
import { createEventVerifier, loadNostrWasm, type CreateEventVerifierParameters, type EventVerifier, type NostrWasm } from '../protocol/verify.ts'
import { createLocalSigner, type LocalSigner, type LocalSignerOptions } from '../signer.ts'
import { BaseError } from '../errors/base.ts'
import { loadSchnorrAddon, type SchnorrAddon } from './addon.ts'
import type { SchnorrBackend } from './backend.ts'
import { nativeSchnorr } from './native.ts'
import { eventHashNode } from '../crypto/eventHashNode.ts'
import { nodeNip44 } from '../crypto/nip44Node.ts'
import { nobleSchnorr } from './noble.ts'
import { wasmSchnorr } from './wasm.ts'

export type LoadFastestSchnorrParameters = {
  /** Default: the cached build (addon.ts). Tests inject one that throws to take the fallback. */
  loadAddon?: (() => SchnorrAddon) | undefined
  loadWasm?: (() => Promise<NostrWasm>) | undefined
  /** Told once, in one line, why the native backend was not used. Default: a warning on stderr. */
  onFallback?: ((line: string) => void) | undefined
}

const reason = (err: unknown) => (err instanceof BaseError ? err.shortMessage : err instanceof Error ? err.message : String(err))

/** The native backend, or undefined when its addon does not load (for code that must decide without waiting for the WASM). */
export function tryNativeSchnorr(loadAddon: () => SchnorrAddon = loadSchnorrAddon): SchnorrBackend | undefined {
  try {
    return nativeSchnorr(loadAddon())
  } catch {
    return undefined
  }
}

export async function loadFastestSchnorr({
  loadAddon = loadSchnorrAddon,
  loadWasm = loadNostrWasm,
  onFallback = (line) => console.error(`[schnorr] ${line}`),
}: LoadFastestSchnorrParameters = {}): Promise<SchnorrBackend> {
  let nativeError: unknown
  try {
    return nativeSchnorr(loadAddon())
  } catch (err) {
    nativeError = err
  }
  try {
    const backend = wasmSchnorr(await loadWasm())
    onFallback(`native libsecp256k1 unavailable (${reason(nativeError)}); signing and verifying with the WASM build`)
    return backend
  } catch (wasmError) {
    onFallback(`native libsecp256k1 unavailable (${reason(nativeError)}) and the WASM build too (${reason(wasmError)}); signing and verifying with @noble/curves`)
    return nobleSchnorr()
  }
}

/**
 * A local signer on the fastest backend: for processes that sign on a hot path (node chunk events, the gateway).
 * Its NIP-44 runs on node:crypto (src/crypto/nip44Node.ts): a job request or a result costs per byte in pure JS.
 */
export async function createFastSigner(secretKey: Uint8Array, options: Omit<LocalSignerOptions, 'schnorr'> & LoadFastestSchnorrParameters = {}): Promise<LocalSigner> {
  const { loadAddon, loadWasm, onFallback, ...rest } = options
  return createLocalSigner(secretKey, { cipher: nodeNip44, ...rest, schnorr: await loadFastestSchnorr({ loadAddon, loadWasm, onFallback }) })
}

/** An event verifier on the fastest backend, checking ids with node:crypto's sha256. */
export async function createFastEventVerifier(options: Omit<CreateEventVerifierParameters, 'verifySignature'> & LoadFastestSchnorrParameters = {}): Promise<EventVerifier> {
  const { loadAddon, loadWasm, onFallback, ...rest } = options
  return createEventVerifier({ hashEvent: eventHashNode, ...rest, verifySignature: (await loadFastestSchnorr({ loadAddon, loadWasm, onFallback })).verify })
}
