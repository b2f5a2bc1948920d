// Model identity: what a node says it serves, beyond a name. `sha256:<hex>` is the sha256 of the weights file the
// engine loaded (llama.cpp's GGUF); `ollama:<hex>` is Ollama's manifest digest (/api/tags), which names the
// weights blob by its own sha256. Two nodes announcing the same digest serve the same weights, so they are
// interchangeable for failover and stream continuation. A digest is a claim until audits check it (nips/capability.md).
import { z } from 'zod'

export const modelDigest = z.string().regex(/^(sha256|ollama):[0-9a-f]{64}$/, 'a model digest is sha256:<64 hex> or ollama:<64 hex>')

/** Shortest digest prefix (hex digits after the scheme) a client may pin, as `docker` accepts short ids. */
export const minDigestPrefix = 12

const refPattern = /^(.+)@((?:sha256|ollama):[0-9a-f]{12,64})$/

/**
 * `tiny-a@sha256:5f0c…` -> the model id and the digest (or a prefix of it) it must have; a plain id has no digest.
 * Model ids may contain `@`, so only a trailing `@<scheme>:<hex>` is a pin.
 */
export function parseModelRef(ref: string): { id: string; digest?: string | undefined } {
  const m = refPattern.exec(ref)
  return m ? { id: m[1]!, digest: m[2]! } : { id: ref }
}

/** Whether an announced digest satisfies a pinned one (the whole digest, or a prefix of at least minDigestPrefix hex digits). */
export function digestMatches(announced: string | undefined, pinned: string): boolean {
  if (!announced) return false
  const [scheme, hex = ''] = pinned.split(':')
  return hex.length >= minDigestPrefix && announced.startsWith(`${scheme}:${hex}`)
}
