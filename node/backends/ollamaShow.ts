// What Ollama says about one model, from POST /api/show {"model"} (docs/api.md, "Show Model Information"):
//   {"details":{..},"model_info":{"general.architecture":"llama","llama.context_length":131072,..},
//    "capabilities":["completion","tools","vision","thinking"|"embedding"|"insert"],..}
// `capabilities` holds Ollama's model.Capability values (types/model/capability.go) and exists since Ollama 0.6.4
// (ollama/ollama#10066); an older server leaves it out, and then the node says nothing (plain text chat).
// Pure: the adapter (ollama.ts) fetches, this reads.
import type { ModelFeature } from '../../src/protocol/features.ts'

export type OllamaShow = { capabilities?: unknown; model_info?: Record<string, unknown> | undefined }

/** Ollama answers /api/chat `logprobs` / `top_logprobs` since 0.12.11 (its release notes); older servers drop them without a word. */
const logprobsSince = [0, 12, 11] as const

/** True when `version` ("0.12.11", "0.13.0-rc1") is at least `min`; false when it does not parse. */
export function versionAtLeast(version: string | undefined, min: readonly number[]): boolean {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version ?? '')
  if (!m) return false
  const parts = [Number(m[1]), Number(m[2]), Number(m[3])]
  for (let i = 0; i < min.length; i++) {
    if (parts[i]! !== min[i]!) return parts[i]! > min[i]!
  }
  return true
}

/**
 * The model's features from its /api/show answer and the server's version. `completion` is a chat model, which
 * on Ollama also takes a JSON schema in `format` (every completion model: grammar sampling, since 0.5); `tools`,
 * `vision`, `thinking` and `embedding` are Ollama's own words for ours. Undefined when the answer has no list.
 */
export function ollamaFeatures(show: OllamaShow, version: string | undefined): ModelFeature[] | undefined {
  if (!Array.isArray(show.capabilities)) return undefined
  const caps = new Set(show.capabilities.filter((c): c is string => typeof c === 'string'))
  const out: ModelFeature[] = []
  if (caps.has('completion')) {
    out.push('chat')
    if (caps.has('tools')) out.push('tools')
    if (caps.has('vision')) out.push('vision')
    out.push('json_schema')
    if (versionAtLeast(version, logprobsSince)) out.push('logprobs')
    if (caps.has('thinking')) out.push('reasoning')
  }
  if (caps.has('embedding')) out.push('embeddings')
  return out
}

/** The model's own context limit: model_info["<general.architecture>.context_length"]. */
export function ollamaContextLength(show: OllamaShow): number | undefined {
  const info = show.model_info
  const arch = info?.['general.architecture']
  if (typeof arch !== 'string') return undefined
  const n = info?.[`${arch}.context_length`]
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined
}
