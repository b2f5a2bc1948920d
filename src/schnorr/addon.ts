// The native libsecp256k1 addon (native/schnorr.c): where `npm run schnorr` (scripts/schnorr/build.ts, also run on
// install) puts it and how a process loads it. The build is cached outside the tree, keyed by what went into it
// (our C file, the pinned libsecp256k1 copy, the compile definitions, platform and architecture), so a changed
// source builds anew and an old build is never mistaken for it. INFERNET_SCHNORR_ADDON names another build.
// Node only: browsers and the SDK never reach this file; they keep the WASM and @noble/curves backends.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { BaseError } from '../errors/base.ts'

/** The npm package whose tarball carries libsecp256k1's C source with the extrakeys and schnorrsig modules. */
export const secp256k1SourcePackage = 'secp256k1-wasm'

/** libsecp256k1 is compiled as one unit inside the addon; these stand in for its configure script. */
export const secp256k1Definitions = [
  'ECMULT_WINDOW_SIZE=15',
  'ECMULT_GEN_PREC_BITS=4',
  'ENABLE_MODULE_EXTRAKEYS=1',
  'ENABLE_MODULE_SCHNORRSIG=1',
]

/** What the addon exports (see the header of native/schnorr.c). */
export type SchnorrAddon = {
  keypair(secretKey: Uint8Array): Uint8Array
  xonly(keypair: Uint8Array): string
  sign(keypair: Uint8Array, idHex: string, aux: Uint8Array): string
  verify(sigHex: string, idHex: string, pubkeyHex: string): boolean
  randomize(seed: Uint8Array): void
}

export class SchnorrAddonMissingError extends BaseError {
  override name = 'SchnorrAddonMissingError'
  override code = 'schnorr-addon-missing'
  constructor(path: string) {
    super(`the native libsecp256k1 addon is not built (${path})`, {
      metaMessages: ['`npm run schnorr` builds it (npm ci does on install); it needs a C compiler and python3 for node-gyp.'],
    })
  }
}

export const addonSourceFile = join(import.meta.dirname, 'native', 'schnorr.c')

/** libsecp256k1's source tree inside the installed package. */
export function secp256k1SourceDir(): string {
  const require = createRequire(import.meta.url)
  return join(dirname(require.resolve(`${secp256k1SourcePackage}/package.json`)), 'depend', 'secp256k1')
}

/** INFERNET_SCHNORR_DIR moves the cache (the Docker image keeps it inside /app, readable by its unprivileged user). */
export function addonCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.INFERNET_SCHNORR_DIR) return env.INFERNET_SCHNORR_DIR
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'infernet', 'schnorr')
}

/** The build's fingerprint: a digest of everything that decides the compiled code. */
export function addonKey(): string {
  const hash = createHash('sha256')
  hash.update(readFileSync(addonSourceFile))
  hash.update(readFileSync(join(secp256k1SourceDir(), '..', '..', 'package.json')))
  hash.update(secp256k1Definitions.join(' '))
  return `${process.platform}-${process.arch}-${hash.digest('hex').slice(0, 12)}`
}

export function addonPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.INFERNET_SCHNORR_ADDON || join(addonCacheDir(env), `schnorr-${addonKey()}.node`)
}

/** Loads the built addon: a SchnorrAddonMissingError when there is none, else the loader's own error (a build for another platform, say). */
export function loadSchnorrAddon(path: string = addonPath()): SchnorrAddon {
  if (!existsSync(path)) throw new SchnorrAddonMissingError(path)
  return createRequire(import.meta.url)(path) as SchnorrAddon
}
