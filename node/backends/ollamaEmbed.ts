// Ollama's embeddings API (docs/api.md, "Generate Embeddings"): POST /api/embed {"model","input":[..],"dimensions"?}
// -> {"model","embeddings":[[..],..],"total_duration","load_duration","prompt_eval_count"}. `truncate: false` makes an
// input over the model's context a 400 instead of a silently cut text, so the vector is of what the client sent.
// Pure: ollama.ts sends, this translates.
import type { EmbedRequest, EmbedResult } from './types.ts'

export function toOllamaEmbedBody(request: EmbedRequest): Record<string, unknown> {
  return { model: request.model, input: request.input, truncate: false, ...(request.dimensions !== undefined ? { dimensions: request.dimensions } : {}) }
}

/** The vectors and token count of an /api/embed answer; undefined when it is not one. */
export function fromOllamaEmbedResponse(body: unknown): EmbedResult | undefined {
  const b = body as { embeddings?: unknown; prompt_eval_count?: unknown } | null
  if (!b || !Array.isArray(b.embeddings) || !b.embeddings.every((v) => Array.isArray(v) && v.every((x) => typeof x === 'number'))) return undefined
  return { embeddings: b.embeddings as number[][], ...(typeof b.prompt_eval_count === 'number' ? { promptTokens: b.prompt_eval_count } : {}) }
}
