// Adapter for Ollama's native API (docs/api.md):
//   GET  /api/version -> {"version":"0.5.7"}                                     (health)
//   GET  /api/tags    -> {"models":[{"name":"llama3:latest","model":"llama3:latest","size":4661224676,...}]}
//   GET  /api/ps      -> {"models":[{"name":"llama3:latest","model":"llama3:latest","size":..,"size_vram":..,"expires_at":..,"context_length":4096}]}
//   POST /api/show    -> {"model_info":{"general.architecture":"llama","llama.context_length":N,..},"capabilities":["completion","tools",..]}
//                        (per model, for its features and context: ollamaShow.ts)
//   POST /api/chat    -> NDJSON: {"model","created_at","message":{"role":"assistant","content":"Hi"},"done":false}
//                        ... then {"done":true,"done_reason":"stop","prompt_eval_count":26,"eval_count":298,...};
//                        an in-stream failure is a line {"error":"..."}; an unknown model is 404 {"error":"model \"x\" not found, try pulling it first"}
//   POST /api/embed   -> {"model","embeddings":[[..]],"prompt_eval_count"} (ollamaEmbed.ts)
//   POST /api/pull    -> NDJSON {"status":"pulling manifest"} {"status":"downloading ...","digest","total","completed"} ... {"status":"success"}
// Model ids: Ollama treats `name` and `name:latest` as one model; the public id drops a `:latest` suffix.
// continueFinal: Ollama continues a trailing assistant message by itself, so messages are sent as-is.
import { appendDelta, type StructuredDelta } from '../../src/protocol/streamDelta.ts'
import { BackendError, matchBackendReason } from '../errors/backend.ts'
import { httpRequest } from './httpRequest.ts'
import { ollamaContextLength, ollamaFeatures, type OllamaShow } from './ollamaShow.ts'
import { fromOllamaEmbedResponse, toOllamaEmbedBody } from './ollamaEmbed.ts'
import { toLogprobs, toOllamaChatBody, toolCallFragments, type OllamaToolCall } from './ollamaChat.ts'
import type { Backend, BackendHealth, ChatChunk, HttpBackendParameters, ModelInfo, RequestOptions } from './types.ts'
import { estimatePromptTokens, normalizeFinishReason, withCountedReasoning } from './usage.ts'

/** `llama3:latest` -> `llama3`; other tags are kept. */
export function toPublicOllamaId(name: string): string {
  return name.endsWith(':latest') ? name.slice(0, -':latest'.length) : name
}

export { toOllamaChatBody } from './ollamaChat.ts'

type OllamaModel = { name: string; model?: string; size?: number; digest?: string; details?: { parameter_size?: string } }
type OllamaChatLine = {
  message?: { content?: string; thinking?: string; tool_calls?: OllamaToolCall[] }
  logprobs?: Parameters<typeof toLogprobs>[0]
  done?: boolean
  done_reason?: string
  prompt_eval_count?: number
  eval_count?: number
  error?: string
}

export function createOllamaBackend(parameters: HttpBackendParameters = {}): Backend {
  const { fetch: fetchFn, timeoutMs = 60_000 } = parameters
  const baseUrl = (parameters.baseUrl ?? 'http://127.0.0.1:11434').replace(/\/+$/, '')
  const request = (path: string, init: { method?: 'GET' | 'POST'; body?: unknown; signal?: AbortSignal | undefined } = {}) =>
    httpRequest({ fetch: fetchFn, url: baseUrl + path, timeoutMs, backend: 'ollama', ...init })
  const get = async (path: string, options?: RequestOptions) => (await request(path, { signal: options?.signal })).json()

  const running = async (options?: RequestOptions): Promise<(OllamaModel & { context_length?: number })[]> => ((await get('/api/ps', options)) as { models?: OllamaModel[] }).models ?? []
  const loadedNames = async (options?: RequestOptions): Promise<string[]> => (await running(options)).map((m) => m.name ?? m.model)
  /** What is worth knowing and may fail without failing the listing; a cancellation still cancels it. */
  const optional = <T>(p: Promise<T>): Promise<T | undefined> =>
    p.catch((err: unknown) => {
      if (err instanceof BackendError && err.reason === 'cancelled') throw err
      return undefined
    })

  const listModels = async (options?: RequestOptions): Promise<ModelInfo[]> => {
    const body = (await get('/api/tags', options)) as { models?: OllamaModel[] }
    const [ps, version] = await Promise.all([optional(running(options)), optional(get('/api/version', options).then((v) => (v as { version?: unknown }).version))])
    // A loaded model's context is the one its runner serves (num_ctx); otherwise the model's own limit (/api/show).
    const loaded = new Map((ps ?? []).map((m) => [toPublicOllamaId(m.name ?? m.model ?? ''), m.context_length]))
    return Promise.all(
      (body.models ?? []).map(async (m) => {
        const backendId = m.name ?? m.model ?? ''
        const id = toPublicOllamaId(backendId)
        // The manifest digest names the weights blob by its sha256: the model's identity.
        const digest = typeof m.digest === 'string' && /^[0-9a-f]{64}$/.test(m.digest) ? `ollama:${m.digest}` : undefined
        const show = (await optional(request('/api/show', { method: 'POST', body: { model: backendId }, signal: options?.signal }).then((r) => r.json()))) as OllamaShow | undefined
        const features = show && ollamaFeatures(show, typeof version === 'string' ? version : undefined)
        const contextLength = loaded.get(id) ?? (show && ollamaContextLength(show))
        return { id, backendId, sizeBytes: m.size, loaded: loaded.has(id), ...(digest ? { digest } : {}), ...(features ? { features } : {}), ...(contextLength ? { contextLength } : {}) }
      }),
    )
  }

  return {
    kind: 'ollama',
    baseUrl,
    async health(options): Promise<BackendHealth> {
      try {
        const body = (await get('/api/version', options)) as { version?: unknown }
        return { ok: true, version: typeof body.version === 'string' ? body.version : undefined }
      } catch (err) {
        if (err instanceof BackendError) {
          return { ok: false, reason: `${err.reason}: ${err.details ?? err.shortMessage}`, ...(err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs }) }
        }
        return { ok: false, reason: String(err) }
      }
    },
    listModels,
    async loadedModels(options) {
      return (await loadedNames(options)).map(toPublicOllamaId)
    },
    async resolveModel(publicId) {
      const wanted = toPublicOllamaId(publicId)
      return (await listModels()).find((m) => m.id === wanted)
    },
    async *chat(chatRequest, options): AsyncGenerator<ChatChunk, void, undefined> {
      const res = await request('/api/chat', { method: 'POST', body: toOllamaChatBody(chatRequest), signal: options?.signal })
      let counted = 0
      let countedReasoning = 0
      let calls = 0
      let final: OllamaChatLine | undefined
      try {
        // One delta per network read: the lines that arrived together travel on together.
        for await (const batch of res.lineBatches()) {
          const delta: StructuredDelta = {}
          let failure: BackendError | undefined
          for (const line of batch) {
            if (!line.trim()) continue
            let record: OllamaChatLine
            try {
              record = JSON.parse(line) as OllamaChatLine
            } catch (err) {
              failure = new BackendError({ reason: 'stream-error', backend: 'ollama', url: baseUrl, details: `unparseable NDJSON line: ${line.slice(0, 200)}`, cause: err })
              break
            }
            if (record.error !== undefined) {
              const matched = matchBackendReason({ message: record.error })
              failure = new BackendError({ reason: matched === 'model-not-found' ? matched : 'stream-error', backend: 'ollama', url: baseUrl, details: record.error })
              break
            }
            const m = record.message
            const piece: StructuredDelta = {}
            if (m?.content) piece.text = m.content
            if (m?.thinking) piece.reasoning = m.thinking
            if (m?.tool_calls?.length) {
              piece.tool_calls = toolCallFragments(m.tool_calls, calls)
              calls += m.tool_calls.length
            }
            if (record.logprobs?.length) piece.logprobs = toLogprobs(record.logprobs)
            if (piece.text || piece.reasoning || piece.tool_calls) counted++
            if (piece.reasoning) countedReasoning++
            appendDelta(delta, piece)
            if (record.done) final = record
          }
          // What came before a failure in the same read is still output.
          if (delta.text || delta.reasoning || delta.tool_calls || delta.logprobs) yield { ...delta, type: 'delta', text: delta.text ?? '' }
          if (failure) throw failure
        }
      } finally {
        res.close()
      }
      if (!final) throw new BackendError({ reason: 'stream-error', backend: 'ollama', url: baseUrl, details: 'stream ended before the done record' })
      yield {
        type: 'done',
        // Ollama counts thinking inside eval_count and says no more; its chunks carry one token each.
        usage: withCountedReasoning({ promptTokens: final.prompt_eval_count ?? estimatePromptTokens(chatRequest.messages), completionTokens: final.eval_count ?? counted }, countedReasoning),
        // Ollama ends a reply that called tools with done_reason "stop"; OpenAI's name for that end is tool_calls.
        finishReason: calls > 0 && normalizeFinishReason(final.done_reason) === 'stop' ? 'tool_calls' : normalizeFinishReason(final.done_reason),
      }
    },
    async embed(embedRequest, options) {
      const res = await request('/api/embed', { method: 'POST', body: toOllamaEmbedBody(embedRequest), signal: options?.signal })
      const out = fromOllamaEmbedResponse(await res.json())
      if (!out) throw new BackendError({ reason: 'stream-error', backend: 'ollama', url: baseUrl, details: '/api/embed answered without an embeddings array' })
      return out
    },
    async pull(model, options = {}) {
      const res = await request('/api/pull', { method: 'POST', body: { model, stream: true }, signal: options.signal })
      let success = false
      try {
        for await (const line of res.lines()) {
          if (!line.trim()) continue
          const p = JSON.parse(line) as { status?: string; completed?: number; total?: number; error?: string }
          if (p.error !== undefined) {
            throw new BackendError({ reason: matchBackendReason({ message: p.error }) ?? 'stream-error', backend: 'ollama', url: baseUrl, details: p.error })
          }
          if (p.status === 'success') success = true
          options.onProgress?.({
            status: p.status ?? '',
            ...(p.completed === undefined ? {} : { completed: p.completed }),
            ...(p.total === undefined ? {} : { total: p.total }),
          })
        }
      } finally {
        res.close()
      }
      if (!success) throw new BackendError({ reason: 'stream-error', backend: 'ollama', url: baseUrl, details: `pull of ${model} ended without success` })
    },
  }
}
