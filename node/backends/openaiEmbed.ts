// OpenAI's embeddings API as vLLM (`--task embed`), SGLang (`--is-embedding`) and llama-server (`--embeddings`)
// serve it: POST /v1/embeddings {"model","input":[..],"encoding_format":"float","dimensions"?} ->
// {"object":"list","data":[{"object":"embedding","index":0,"embedding":[..]}],"model","usage":{"prompt_tokens","total_tokens"}}.
// Floats are asked for: base64 is not offered by every such server, and the node re-encodes the floats anyway.
// llama-server ignores `dimensions` (measured on b1-80fb11a: 64 floats for dimensions 8); the job's check catches it.
// Pure: openaiCompatible.ts sends, this translates.
import type { EmbedRequest, EmbedResult } from './types.ts'

export function toOpenAIEmbedBody(request: EmbedRequest): Record<string, unknown> {
  return { model: request.model, input: request.input, encoding_format: 'float', ...(request.dimensions !== undefined ? { dimensions: request.dimensions } : {}) }
}

/** The vectors in input order (by `index`) and the token count; undefined when the answer is not one. */
export function fromOpenAIEmbedResponse(body: unknown): EmbedResult | undefined {
  const b = body as { data?: unknown; usage?: { prompt_tokens?: unknown } | null } | null
  if (!b || !Array.isArray(b.data)) return undefined
  const out: number[][] = []
  for (const [i, d] of (b.data as { index?: unknown; embedding?: unknown }[]).entries()) {
    const index = typeof d?.index === 'number' ? d.index : i
    if (!Array.isArray(d?.embedding) || !d.embedding.every((x) => typeof x === 'number') || out[index] !== undefined) return undefined
    out[index] = d.embedding as number[]
  }
  if (out.length !== b.data.length) return undefined
  const tokens = b.usage?.prompt_tokens
  return { embeddings: out, ...(typeof tokens === 'number' ? { promptTokens: tokens } : {}) }
}
