// OpenAI's Embeddings API (POST /v1/embeddings) to and from the SDK's embed(). Pure, like openai.ts. The request:
// {model, input: string | string[], encoding_format?: "float" | "base64", dimensions?, user?}; token-id input is
// refused, naming `input` (nodes tokenize with their own engines). The answer is OpenAI's exact shape:
// {object: "list", data: [{object: "embedding", index, embedding}], model, usage: {prompt_tokens, total_tokens}},
// `embedding` as floats or as base64 of float32 little-endian (what the openai npm package asks for by default and
// decodes itself): the same bytes the node's output carried.
import { checkEmbeddingRequest, embeddingToBase64 } from '../../protocol/embeddingJob.ts'
import { errors } from '../errors.ts'

export type GatewayEmbeddingRequest = { model: string; input: string[]; dimensions?: number | undefined; encodingFormat: 'float' | 'base64' }

const known = new Set(['model', 'input', 'encoding_format', 'dimensions', 'user'])

export function fromEmbeddingRequest(body: unknown): GatewayEmbeddingRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw errors.invalidRequest('The request body must be a JSON object.')
  const b = body as Record<string, unknown>
  if (typeof b.model !== 'string' || b.model.length === 0) throw errors.invalidRequest('`model` is required: the id of an embedding model (GET /v1/models).', 'model')
  if (b.input === undefined) throw errors.invalidRequest('`input` is required: a string or an array of strings.', 'input')
  const format = b.encoding_format ?? 'float'
  if (format !== 'float' && format !== 'base64') throw errors.invalidRequest('`encoding_format` must be "float" or "base64".', 'encoding_format')
  if (b.user !== undefined && typeof b.user !== 'string') throw errors.invalidRequest('`user` must be a string.', 'user')
  const unknown = Object.keys(b).find((k) => !known.has(k))
  if (unknown) throw errors.invalidRequest(`\`${unknown}\` is not a field of an embeddings request.`, unknown)
  const checked = checkEmbeddingRequest({ input: b.input, dimensions: b.dimensions })
  if (!checked.ok) throw errors.invalidRequest(checked.message, checked.param)
  return { model: b.model, input: checked.input, ...(checked.dimensions !== undefined ? { dimensions: checked.dimensions } : {}), encodingFormat: format }
}

export type EmbeddingResponse = {
  object: 'list'
  data: { object: 'embedding'; index: number; embedding: number[] | string }[]
  model: string
  usage: { prompt_tokens: number; total_tokens: number }
}

export function toEmbeddingResponse({
  model,
  result,
  encodingFormat,
}: {
  model: string
  result: { data: readonly { embedding: readonly number[]; index: number }[]; usage: { promptTokens: number } }
  encodingFormat: 'float' | 'base64'
}): EmbeddingResponse {
  return {
    object: 'list',
    data: result.data.map((d) => ({ object: 'embedding', index: d.index, embedding: encodingFormat === 'base64' ? embeddingToBase64(d.embedding) : [...d.embedding] })),
    model,
    usage: { prompt_tokens: result.usage.promptTokens, total_tokens: result.usage.promptTokens },
  }
}
