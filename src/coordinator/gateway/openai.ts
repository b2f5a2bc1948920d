// Pure translation between OpenAI's wire format and the Infernet client SDK: requests in, chunks, completions,
// usage, model lists and error bodies out. No I/O here; gateway/routes.ts calls these.
import type { ChatParameters } from '../../../client/client.ts'
import type { MarketModel } from '../marketIndex.ts'
import type { GenerationFields, GenerationParams } from '../../protocol/generationParams.ts'
import type { ChatMessage, ToolCall } from '../../protocol/chatMessage.ts'
import type { ToolCallFragment, TokenLogprob } from '../../protocol/streamDelta.ts'
import { maxChoices } from '../../protocol/limits.ts'
import type { ResultUsage } from '../../protocol/jobResult.ts'
import { CoordinatorHttpError, errors } from '../errors.ts'
import { checkStructuredFields, fromChatMessages } from './openaiMessages.ts'

export type { ChatMessage }

/** The SDK's chat parameters as an OpenAI request carries them, plus how to answer it. */
export type GatewayChatRequest = Pick<ChatParameters, 'model' | 'messages'> & {
  /** The job's generation parameters: the OpenAI fields we check, and every field we do not know, passed through. */
  params: GenerationParams
  stream: boolean
  includeUsage: boolean
  /** Choices asked for (OpenAI's `n`): each is a job of its own (choices.ts). Default 1. */
  n?: number | undefined
}


/** A result's counts, with the details its node said (reasoning of the completion, cached of the prompt). */
export type GatewayUsage = ResultUsage
export type GatewayResult = {
  text: string
  usage: GatewayUsage
  model: string
  finishReason: string
  node: string
  cost: bigint
  toolCalls?: ToolCall[] | undefined
  reasoning?: string | undefined
  logprobs?: TokenLogprob[] | undefined
}

/**
 * Fields OpenAI defines that we read or may drop silently; everything else passes through in `params`. `user` and
 * `metadata` are the caller's labels for its own bookkeeping: accepted, and kept from the node, which has no use for
 * who the gateway's caller is.
 */
const handled = new Set(['model', 'messages', 'prompt', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'stop', 'seed', 'stream', 'stream_options', 'n', 'echo', 'user', 'metadata'])

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A numeric field, absent or null read as undefined; a 400 naming it when it is not a number in [min, max]. */
export function optionalNumber(body: Record<string, unknown>, name: string, { min, max, integer = false }: { min: number; max: number; integer?: boolean }): number | undefined {
  const v = body[name]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) throw errors.invalidRequest(`${name} must be ${integer ? 'an integer' : 'a number'}`, name)
  if (v < min || v > max) throw errors.invalidRequest(`${name} must be between ${min} and ${max}`, name)
  return v
}

function common(body: Record<string, unknown>): Omit<GatewayChatRequest, 'messages'> {
  if (typeof body.model !== 'string' || body.model === '') throw errors.invalidRequest('you must provide a model parameter', 'model')
  const n = optionalNumber(body, 'n', { min: 1, max: maxChoices, integer: true })
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') throw errors.invalidRequest('stream must be a boolean', 'stream')
  const streamOptions = body.stream_options
  if (streamOptions !== undefined && streamOptions !== null && !isObject(streamOptions)) throw errors.invalidRequest('stream_options must be an object', 'stream_options')
  const maxTokens = optionalNumber(body, 'max_completion_tokens', { min: 1, max: 1_000_000, integer: true }) ?? optionalNumber(body, 'max_tokens', { min: 1, max: 1_000_000, integer: true })
  let stop: string[] | undefined
  if (typeof body.stop === 'string') stop = [body.stop]
  else if (Array.isArray(body.stop)) {
    if (!body.stop.every((s) => typeof s === 'string') || body.stop.length > 16) throw errors.invalidRequest('stop must be a string or an array of at most 16 strings', 'stop')
    stop = body.stop as string[]
  } else if (body.stop !== undefined && body.stop !== null) throw errors.invalidRequest('stop must be a string or an array of strings', 'stop')
  const params: GenerationParams = {}
  for (const [k, v] of Object.entries(body)) if (!handled.has(k)) params[k] = v
  const named: GenerationFields = {
    max_tokens: maxTokens,
    temperature: optionalNumber(body, 'temperature', { min: 0, max: 2 }),
    top_p: optionalNumber(body, 'top_p', { min: 0, max: 1 }),
    stop,
    seed: optionalNumber(body, 'seed', { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, integer: true }),
  }
  for (const [k, v] of Object.entries(named)) if (v !== undefined) params[k] = v
  checkStructuredFields(params)
  return { model: body.model, params, stream: body.stream === true, includeUsage: isObject(streamOptions) && streamOptions.include_usage === true, ...(n && n > 1 ? { n } : {}) }
}

export function fromChatCompletionRequest(body: unknown): GatewayChatRequest {
  if (!isObject(body)) throw errors.invalidRequest('the request body must be a JSON object')
  const base = common(body)
  return { ...base, messages: fromChatMessages(body.messages) }
}

/** Legacy completions: the prompt becomes a single user message. */
export function fromCompletionRequest(body: unknown): GatewayChatRequest {
  if (!isObject(body)) throw errors.invalidRequest('the request body must be a JSON object')
  const base = common(body)
  let prompt = body.prompt
  if (Array.isArray(prompt) && prompt.length === 1) prompt = prompt[0]
  if (typeof prompt !== 'string') throw errors.invalidRequest('prompt must be a string (one prompt per request)', 'prompt')
  return { ...base, messages: [{ role: 'user', content: prompt }] }
}

export function finishReason(reason: string): 'stop' | 'length' | 'content_filter' | 'tool_calls' {
  return reason === 'length' || reason === 'content_filter' || reason === 'tool_calls' ? reason : 'stop'
}

/** Our fragments as OpenAI's streaming tool_calls: the first of a call with id, type and name, later ones arguments only. */
export function toToolCallDeltas(fragments: readonly ToolCallFragment[]) {
  return fragments.map((f) => ({
    index: f.index,
    ...(f.id ? { id: f.id, type: 'function' as const } : {}),
    function: { ...(f.name ? { name: f.name } : {}), arguments: f.arguments ?? '' },
  }))
}

/** OpenAI's choice logprobs: `{content: [...]}` with bytes as OpenAI gives them. */
export function toLogprobs(list: readonly TokenLogprob[] | undefined) {
  if (!list?.length) return null
  const entry = (t: { token: string; logprob: number }) => ({ token: t.token, logprob: t.logprob, bytes: [...new TextEncoder().encode(t.token)] })
  return { content: list.map((l) => ({ ...entry(l), top_logprobs: (l.top_logprobs ?? []).map(entry) })), refusal: null }
}

/** The usage of a request's choices as OpenAI counts it: the prompt once, the completions summed. */
export function choicesUsage(results: readonly { usage: GatewayUsage }[]): GatewayUsage {
  const first = results[0]?.usage
  // A detail is known for the request only when every choice's node said it.
  const reasoning = results.every((r) => r.usage.reasoningTokens !== undefined) ? results.reduce((s, r) => s + r.usage.reasoningTokens!, 0) : undefined
  return {
    promptTokens: first?.promptTokens ?? 0,
    completionTokens: results.reduce((s, r) => s + r.usage.completionTokens, 0),
    ...(reasoning !== undefined && results.length ? { reasoningTokens: reasoning } : {}),
    ...(first?.cachedPromptTokens !== undefined ? { cachedPromptTokens: first.cachedPromptTokens } : {}),
  }
}

/** OpenAI's usage object; the details only where the node said them (OpenAI's SDK types them optional). */
export function toUsage(usage: GatewayUsage) {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    ...(usage.cachedPromptTokens !== undefined ? { prompt_tokens_details: { cached_tokens: usage.cachedPromptTokens } } : {}),
    ...(usage.reasoningTokens !== undefined ? { completion_tokens_details: { reasoning_tokens: usage.reasoningTokens } } : {}),
  }
}

export type ChunkParameters = {
  id: string
  created: number
  model: string
  delta?: string | undefined
  reasoning?: string | undefined
  toolCalls?: readonly ToolCallFragment[] | undefined
  logprobs?: readonly TokenLogprob[] | undefined
  role?: boolean | undefined
  finish?: string | undefined
  usage?: GatewayUsage | undefined
  /** The choice this piece belongs to (n > 1); default 0. */
  index?: number | undefined
}

export function toChatCompletionChunk({ id, created, model, delta, reasoning, toolCalls, logprobs, role, finish, usage, index = 0 }: ChunkParameters) {
  if (usage) return { id, object: 'chat.completion.chunk' as const, created, model, choices: [], usage: toUsage(usage) }
  const body = {
    ...(role ? { role: 'assistant' as const } : {}),
    // A piece that is only a tool call carries no content, as OpenAI writes it.
    ...(delta || !toolCalls?.length ? { content: delta ?? '' } : {}),
    ...(reasoning ? { reasoning_content: reasoning } : {}),
    ...(toolCalls?.length ? { tool_calls: toToolCallDeltas(toolCalls) } : {}),
  }
  return {
    id,
    object: 'chat.completion.chunk' as const,
    created,
    model,
    choices: [{ index, delta: finish ? {} : body, logprobs: finish ? null : toLogprobs(logprobs), finish_reason: finish ? finishReason(finish) : null }],
  }
}

/** One response for the request's choices, in order (`results[i]` is choice i). */
export function toChatCompletion({ id, created, results }: { id: string; created: number; results: readonly GatewayResult[] }) {
  const first = results[0]!
  return {
    id,
    object: 'chat.completion' as const,
    created,
    model: first.model,
    choices: results.map((result, index) => ({
      index,
      message: {
        role: 'assistant' as const,
        // OpenAI answers a reply that is only tool calls with content null.
        content: result.text === '' && result.toolCalls?.length ? null : result.text,
        refusal: null,
        ...(result.toolCalls?.length ? { tool_calls: result.toolCalls } : {}),
        ...(result.reasoning ? { reasoning_content: result.reasoning } : {}),
      },
      logprobs: toLogprobs(result.logprobs),
      finish_reason: finishReason(result.finishReason),
    })),
    usage: toUsage(choicesUsage(results)),
    system_fingerprint: `infernet:${first.node.slice(0, 16)}`,
  }
}

export function toCompletionChunk({ id, created, model, delta, finish, usage, index = 0 }: ChunkParameters) {
  if (usage) return { id, object: 'text_completion' as const, created, model, choices: [], usage: toUsage(usage) }
  return { id, object: 'text_completion' as const, created, model, choices: [{ index, text: delta ?? '', logprobs: null, finish_reason: finish ? finishReason(finish) : null }] }
}

export function toCompletion({ id, created, results }: { id: string; created: number; results: readonly GatewayResult[] }) {
  return {
    id,
    object: 'text_completion' as const,
    created,
    model: results[0]!.model,
    choices: results.map((result, index) => ({ index, text: result.text, logprobs: null, finish_reason: finishReason(result.finishReason) })),
    usage: toUsage(choicesUsage(results)),
  }
}

export function toModelList(models: MarketModel[], created = 0) {
  // `digests` is ours (OpenAI clients ignore unknown fields): pin one with `model: "<id>@<digest>"`.
  return { object: 'list' as const, data: models.map((m) => ({ id: m.id, object: 'model' as const, created, owned_by: 'infernet', digests: m.digests })) }
}

export type OpenAIErrorBody = { error: { message: string; type: string; param: string | null; code: string | null } }

/** OpenAI's error object and status for any error; unknown errors become a 500 naming the request id. */
export function toOpenAIError(err: unknown, requestId: string): { status: number; body: OpenAIErrorBody; retryAfterSeconds: number | undefined } {
  if (err instanceof CoordinatorHttpError) {
    return {
      status: err.status,
      body: { error: { message: err.shortMessage, type: err.type, param: err.param ?? null, code: err.wireCode } },
      retryAfterSeconds: err.retryAfterSeconds,
    }
  }
  return {
    status: 500,
    body: { error: { message: `The server had an error while processing your request (request id ${requestId}).`, type: 'server_error', param: null, code: 'internal_error' } },
    retryAfterSeconds: undefined,
  }
}
