// The sha256 of a model file the engine serves, for the capability's model digest. Weights are large (a 70B GGUF
// is 40 GB, about a minute to hash), so a digest is computed once per file version (path, size, mtime) and reused
// by every later capability and heartbeat; concurrent asks for the same file share one read.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'

export type FileDigest = (path: string) => Promise<string | undefined>

export function createFileDigest(): FileDigest {
  const cache = new Map<string, { version: string; digest: Promise<string | undefined> }>()
  return async (path) => {
    let version: string
    try {
      const s = await stat(path)
      if (!s.isFile()) return undefined
      version = `${s.size}:${s.mtimeMs}`
    } catch {
      // Not on this host (a remote engine) or not readable: no digest is announced.
      return undefined
    }
    const hit = cache.get(path)
    if (hit?.version === version) return hit.digest
    const digest = new Promise<string | undefined>((resolve) => {
      const hash = createHash('sha256')
      createReadStream(path)
        .on('data', (chunk) => hash.update(chunk))
        .on('end', () => resolve(`sha256:${hash.digest('hex')}`))
        .on('error', () => resolve(undefined))
    })
    cache.set(path, { version, digest })
    return digest
  }
}
