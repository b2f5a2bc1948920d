// Where the real inference engine (llama.cpp's llama-server) lives once `npm run engine` has built it. The
// cache is keyed by the llama.cpp commit inside the pinned npm package, so a new pin builds anew and an old
// build is never mistaken for it. INFERNET_LLAMA_SERVER points at another llama-server binary instead.
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'

/** The npm package that ships llama.cpp's source as a git bundle (package/llama/gitRelease.bundle). */
export const enginePackage = 'node-llama-cpp@3.21.1'

export function engineCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.INFERNET_ENGINE_DIR) return env.INFERNET_ENGINE_DIR
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'infernet', 'engine')
}

/** Written last by the build: which commit the pinned package holds, so a lookup needs no git. */
export function pinFile(cacheDir: string): string {
  return join(cacheDir, `${enginePackage.replace('@', '-')}.json`)
}

export type EngineBuildInfo = { package: string; commit: string; tag?: string | undefined; buildSeconds: number; builtAt: string; cmakeFlags: string[] }

export type Engine = {
  server: string
  /** llama-quantize from the same build (absent for an INFERNET_LLAMA_SERVER binary without one beside it). */
  quantize?: string | undefined
  /** Files from the source tree kept for the tests (vocabularies, chat templates). */
  shareDir?: string | undefined
  commit?: string | undefined
}

export function buildDir(cacheDir: string, commit: string): string {
  return join(cacheDir, `llama.cpp-${commit.slice(0, 12)}`)
}

/** The engine if it is there, else undefined. Cheap: reads one small file and checks two paths. */
export function findEngine(env: NodeJS.ProcessEnv = process.env): Engine | undefined {
  if (env.INFERNET_LLAMA_SERVER) {
    const server = env.INFERNET_LLAMA_SERVER
    if (!existsSync(server)) return undefined
    const quantize = join(dirname(server), 'llama-quantize')
    return { server, quantize: existsSync(quantize) ? quantize : undefined }
  }
  const cacheDir = engineCacheDir(env)
  let info: EngineBuildInfo
  try {
    info = JSON.parse(readFileSync(pinFile(cacheDir), 'utf8')) as EngineBuildInfo
  } catch {
    return undefined
  }
  const dir = buildDir(cacheDir, info.commit)
  const server = join(dir, 'bin', 'llama-server')
  if (!existsSync(server)) return undefined
  const quantize = join(dir, 'bin', 'llama-quantize')
  return { server, quantize: existsSync(quantize) ? quantize : undefined, shareDir: join(dir, 'share'), commit: info.commit }
}

export const engineMissingHint = 'the real engine is not built: run `npm run engine` (builds llama.cpp\'s llama-server from the pinned npm package, about 7 minutes on 2 cores) or set INFERNET_LLAMA_SERVER'
