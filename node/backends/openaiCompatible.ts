// Adapter for servers that speak OpenAI's /v1/chat/completions with SSE streaming (vLLM, SGLang, Modular MAX,
// llama.cpp's llama-server). It only translates formats: our ChatRequest -> OpenAI body, SSE chunks ->
// normalized ChatChunks. Each server gets a thin variant (vllm.ts, sglang.ts, max.ts, llamacpp.ts) that
// sets its health and model-list endpoints and how it continues a final assistant message.
import { BackendError, matchBackendReason } from '../errors/backend.ts'
import type { ModelFeature } from '../../src/protocol/features.ts'
import { httpRequest } from './httpRequest.ts'
import { createSseParser } from './sse.ts'
import { fromOpenAIEmbedResponse, toOpenAIEmbedBody } from './openaiEmbed.ts'
import type { Backend, BackendHealth, BackendKind, ChatChunk, ChatRequest, HttpBackendParameters, ModelInfo, RequestOptions, Usage } from './types.ts'
import { estimatePromptTokens, normalizeFinishReason, withCountedReasoning } from './usage.ts'
import { callerOnlyFields } from '../../src/protocol/generationParams.ts'
import { appendDelta, isEmptyDelta, type StructuredDelta, type ToolCallFragment } from '../../src/protocol/streamDelta.ts'

export type OpenAICompatibleParameters = HttpBackendParameters & {
  kind: BackendKind
  defaultBaseUrl: string
  /** GET path that answers 200 when the server can serve, 503 while loading. */
  healthPath: string
  /** Optional GET path answering `{ version }`. */
  versionPath?: string | undefined
  /** Body fields that make the server continue the last (assistant) message instead of starting a new one. */
  continueFinalFields?: Record<string, unknown> | undefined
  /** Adds what the listing does not say outright about each model (llama.cpp: the weights' digest). */
  describeModels?: ((models: { info: ModelInfo; listed: ListedModel }[], get: (path: string, options?: RequestOptions) => Promise<unknown>, options?: RequestOptions) => Promise<ModelInfo[]>) | undefined
  /**
   * What every model of this engine supports, for an engine that has no per-model word for it (vLLM, SGLang: JSON
   * schemas and logprobs are the server's own); describeModels may say more per model. Undefined: nothing announced.
   */
  engineFeatures?: readonly ModelFeature[] | undefined
  /**
   * The engine's dialect for the request body, where it departs from OpenAI's (llama.cpp's quirks); throws a
   * BackendError (bad-request) for what the engine cannot do at all.
   */
  adaptBody?: ((body: Record<string, unknown>) => Record<string, unknown>) | undefined
  /** Extra model discovery when /v1/models is empty or missing (SGLang's /get_model_info). */
  fallbackModels?: ((get: (path: string, options?: RequestOptions) => Promise<unknown>, options?: RequestOptions) => Promise<ModelInfo[]>) | undefined
}

/** One entry of GET /v1/models as these servers write it (vLLM/SGLang: max_model_len; llama.cpp: meta, and status with --models-dir). */
export type ListedModel = {
  id: string
  max_model_len?: number
  meta?: { n_ctx?: number; n_ctx_train?: number; size?: number }
  status?: { value?: string; args?: string[] }
}

type OpenAIToolCallDelta = { index?: number; id?: string | null; type?: string; function?: { name?: string | null; arguments?: string | null } }
type OpenAILogprob = { token?: string; logprob?: number; top_logprobs?: { token?: string; logprob?: number }[] }
type OpenAIChunk = {
  choices?: {
    delta?: { content?: string | null; reasoning_content?: string | null; reasoning?: string | null; tool_calls?: OpenAIToolCallDelta[] | null }
    logprobs?: { content?: OpenAILogprob[] | null } | null
    finish_reason?: string | null
  }[]
  usage?: { prompt_tokens?: number; completion_tokens?: number; completion_tokens_details?: { reasoning_tokens?: number } | null; prompt_tokens_details?: { cached_tokens?: number } | null } | null
  error?: unknown
  object?: string
  message?: string
}

/**
 * Pure: our request -> the OpenAI chat.completions body (stream with usage). The job's parameters already carry
 * OpenAI's names, so they go into the body as they are, known and pass-through alike; only the fields this adapter
 * owns (model, messages, streaming, continuing the final message) are set over them.
 */
export function toOpenAIChatBody(request: ChatRequest, continueFinalFields: Record<string, unknown> = {}): Record<string, unknown> {
  const body: Record<string, unknown> = { ...request.params, model: request.model, messages: request.messages, stream: true, stream_options: { include_usage: true } }
  // The caller's own labels: not an instruction to the engine, and some engines refuse fields they do not know.
  for (const f of callerOnlyFields) delete body[f]
  if (request.continueFinal) Object.assign(body, continueFinalFields)
  return body
}

/** One SSE chunk's output as a structured delta (content, reasoning, tool-call fragments, logprobs). */
export function deltaOfChunk(choice: NonNullable<OpenAIChunk['choices']>[number] | undefined): StructuredDelta {
  const d: StructuredDelta = {}
  const delta = choice?.delta
  if (typeof delta?.content === 'string' && delta.content) d.text = delta.content
  // vLLM and DeepSeek name it reasoning_content; newer vLLM builds, reasoning.
  const reasoning = delta?.reasoning_content ?? delta?.reasoning
  if (typeof reasoning === 'string' && reasoning) d.reasoning = reasoning
  const calls = (delta?.tool_calls ?? []).map((c, i): ToolCallFragment => {
    const f: ToolCallFragment = { index: typeof c.index === 'number' ? c.index : i }
    if (c.id) f.id = c.id
    if (c.function?.name) f.name = c.function.name
    if (typeof c.function?.arguments === 'string' && c.function.arguments) f.arguments = c.function.arguments
    return f
  })
  if (calls.length) d.tool_calls = calls
  const logprobs = (choice?.logprobs?.content ?? []).map((l) => ({
    token: l.token ?? '',
    logprob: l.logprob ?? 0,
    ...(l.top_logprobs ? { top_logprobs: l.top_logprobs.map((t) => ({ token: t.token ?? '', logprob: t.logprob ?? 0 })) } : {}),
  }))
  if (logprobs.length) d.logprobs = logprobs
  return d
}

function errorMessage(err: unknown): string {
  if (typeof err === 'string') return err
  if (err && typeof err === 'object') {
    const m = (err as { message?: unknown }).message
    if (typeof m === 'string') return m
  }
  return JSON.stringify(err)
}

export function createOpenAICompatibleBackend(parameters: OpenAICompatibleParameters): Backend {
  const { kind, defaultBaseUrl, healthPath, versionPath, continueFinalFields = {}, adaptBody = (b) => b, fallbackModels, describeModels, engineFeatures, fetch: fetchFn, timeoutMs = 60_000 } = parameters
  const withEngineFeatures = (info: ModelInfo): ModelInfo => (engineFeatures ? { ...info, features: engineFeatures } : info)
  const baseUrl = (parameters.baseUrl ?? defaultBaseUrl).replace(/\/+$/, '')
  const request = (path: string, init: { method?: 'GET' | 'POST'; body?: unknown; signal?: AbortSignal | undefined } = {}) =>
    httpRequest({ fetch: fetchFn, url: baseUrl + path, timeoutMs, backend: kind, ...init })
  const get = async (path: string, options?: RequestOptions) => (await request(path, { signal: options?.signal })).json()

  /** What the server lists, with its own entry beside each model (fallback models have none). */
  const listEntries = async (options?: RequestOptions): Promise<{ info: ModelInfo; listed?: ListedModel | undefined }[]> => {
    try {
      const body = (await get('/v1/models', options)) as { data?: ListedModel[] }
      const entries = (body.data ?? []).map((m) => ({
        info: {
          id: m.id,
          backendId: m.id,
          // llama-server with --models-dir lists models it has not started yet (status unloaded); others serve all they list.
          loaded: m.status?.value === undefined ? true : m.status.value === 'loaded',
          // llama-server: n_ctx is what one slot serves (a longer prompt is refused), n_ctx_train only the model's limit.
          contextLength: m.max_model_len ?? m.meta?.n_ctx ?? m.meta?.n_ctx_train,
          sizeBytes: m.meta?.size,
          ...(engineFeatures ? { features: engineFeatures } : {}),
        },
        listed: m,
      }))
      if (entries.length > 0 || !fallbackModels) return entries
    } catch (err) {
      if (!fallbackModels || (err instanceof BackendError && err.reason === 'cancelled')) throw err
    }
    return (await fallbackModels(get, options)).map((info) => ({ info: withEngineFeatures(info) }))
  }

  /** The entries with what describeModels adds (a digest: one more request per model), only where it is asked for. */
  const described = async (entries: { info: ModelInfo; listed?: ListedModel | undefined }[], options?: RequestOptions): Promise<ModelInfo[]> => {
    const listed = entries.filter((e): e is { info: ModelInfo; listed: ListedModel } => e.listed !== undefined)
    if (!describeModels || listed.length === 0) return entries.map((e) => e.info)
    return describeModels(listed, get, options)
  }

  const listModels = async (options?: RequestOptions): Promise<ModelInfo[]> => described(await listEntries(options), options)

  const backend: Backend = {
    kind,
    baseUrl,
    async health(options): Promise<BackendHealth> {
      try {
        const res = await request(healthPath, { signal: options?.signal })
        res.close()
      } catch (err) {
        if (err instanceof BackendError) {
          if (err.reason === 'loading') return { ok: false, reason: 'loading', retryAfterMs: err.retryAfterMs ?? 1000 }
          return { ok: false, reason: `${err.reason}: ${err.details ?? err.shortMessage}`, ...(err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs }) }
        }
        return { ok: false, reason: String(err) }
      }
      if (!versionPath) return { ok: true }
      try {
        const v = (await get(versionPath, options)) as { version?: unknown }
        return { ok: true, version: typeof v.version === 'string' ? v.version : undefined }
      } catch {
        return { ok: true }
      }
    },
    listModels,
    async loadedModels(options) {
      // Every heartbeat asks this: ids only, no digest lookups.
      return (await listEntries(options)).filter((e) => e.info.loaded).map((e) => e.info.id)
    },
    async resolveModel(publicId) {
      const hit = (await listEntries()).find((e) => e.info.id === publicId)
      return hit ? (await described([hit]))[0] : undefined
    },
    async embed(embedRequest, options) {
      const res = await request('/v1/embeddings', { method: 'POST', body: toOpenAIEmbedBody(embedRequest), signal: options?.signal })
      const out = fromOpenAIEmbedResponse(await res.json())
      if (!out) throw new BackendError({ reason: 'stream-error', backend: kind, url: baseUrl, details: '/v1/embeddings answered without a data array of embeddings' })
      return out
    },
    async *chat(chatRequest, options): AsyncGenerator<ChatChunk, void, undefined> {
      const res = await request('/v1/chat/completions', { method: 'POST', body: adaptBody(toOpenAIChatBody(chatRequest, continueFinalFields)), signal: options?.signal })
      const parser = createSseParser()
      let countedCompletion = 0
      // Chunks that carried reasoning: one token each on these engines, the count when the engine gives none.
      let countedReasoning = 0
      let usage: Usage | undefined
      let finishReason: string | undefined
      let sawDone = false
      /** The delta an event carries, if any; throws the backend's in-stream error. */
      const handle = (event: { event: string; data: string }): StructuredDelta | undefined => {
        if (event.data === '[DONE]') {
          sawDone = true
          return undefined
        }
        if (sawDone) return undefined
        let chunk: OpenAIChunk
        try {
          chunk = JSON.parse(event.data) as OpenAIChunk
        } catch (err) {
          throw new BackendError({ reason: 'stream-error', backend: kind, url: baseUrl, details: `unparseable SSE data: ${event.data.slice(0, 200)}`, cause: err })
        }
        if (event.event === 'error' || chunk.error !== undefined || chunk.object === 'error') {
          const message = errorMessage(chunk.error ?? chunk)
          const matched = matchBackendReason({ message })
          throw new BackendError({ reason: matched === 'model-not-found' ? matched : 'stream-error', backend: kind, url: baseUrl, details: message })
        }
        if (chunk.usage && typeof chunk.usage.completion_tokens === 'number') {
          const reasoning = chunk.usage.completion_tokens_details?.reasoning_tokens
          const cached = chunk.usage.prompt_tokens_details?.cached_tokens
          usage = {
            promptTokens: chunk.usage.prompt_tokens ?? 0,
            completionTokens: chunk.usage.completion_tokens,
            ...(typeof reasoning === 'number' ? { reasoningTokens: reasoning } : {}),
            ...(typeof cached === 'number' ? { cachedPromptTokens: cached } : {}),
          }
        }
        const choice = chunk.choices?.[0]
        if (choice?.finish_reason) finishReason = normalizeFinishReason(choice.finish_reason)
        const delta = deltaOfChunk(choice)
        if (delta.text || delta.reasoning || delta.tool_calls) countedCompletion++
        if (delta.reasoning) countedReasoning++
        return isEmptyDelta(delta) ? undefined : delta
      }
      const out = (d: StructuredDelta): ChatChunk => ({ ...d, type: 'delta', text: d.text ?? '' })
      try {
        // One delta per network read: the events that arrived together travel on together.
        for await (const batch of res.lineBatches()) {
          const delta: StructuredDelta = {}
          let failure: unknown
          for (const line of batch) {
            const event = parser.push(line)
            if (!event) continue
            try {
              const d = handle(event)
              if (d) appendDelta(delta, d)
            } catch (err) {
              failure = err
              break
            }
          }
          // What came before a failure in the same read is still output.
          if (!isEmptyDelta(delta)) yield out(delta)
          if (failure) throw failure
        }
        const last = parser.end()
        if (last) {
          const d = handle(last)
          if (d) yield out(d)
        }
      } finally {
        res.close()
      }
      if (!sawDone && !finishReason) {
        throw new BackendError({ reason: 'stream-error', backend: kind, url: baseUrl, details: 'stream ended before the final chunk' })
      }
      yield {
        type: 'done',
        usage: withCountedReasoning(usage ?? { promptTokens: estimatePromptTokens(chatRequest.messages), completionTokens: countedCompletion }, countedReasoning),
        finishReason: finishReason ?? 'stop',
      }
    },
  }
  return backend
}
