// A fake OpenAI-compatible inference server on node:http (127.0.0.1, port 0) that speaks the exact wire
// format of vLLM, SGLang, Modular MAX or llama.cpp's llama-server (`flavor`). Every higher-level test and
// benchmark uses it in place of a GPU.
//
// Endpoints (all flavors):
//   POST /v1/chat/completions  stream:true -> text/event-stream, one event per token:
//       data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":..,"model":m,"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}
//       data: {... "choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}]}   (per token)
//       data: {... "choices":[{"index":0,"delta":{"content":""},"logprobs":null,"finish_reason":"stop"|"length"}]}
//       data: {... "choices":[],"usage":{"prompt_tokens":P,"completion_tokens":C,"total_tokens":P+C}}  (if stream_options.include_usage and usage fault not false)
//       data: [DONE]
//     stream:false -> one chat.completion JSON with usage.
//     Unknown model (not llamacpp, which serves whatever it loaded) -> 404: vllm/sglang
//       {"object":"error","message":"The model `x` does not exist.","type":"NotFoundError","param":null,"code":404};
//       max {"error":{"message":..,"type":"invalid_request_error","code":"model_not_found"}}.
//     max_tokens / max_completion_tokens truncate the reply with finish_reason "length".
//     Tools (toolReply.ts): with `tools` the reply is a call, streamed as OpenAI does: a chunk whose
//       delta.tool_calls is [{"index":0,"id":"call_..","type":"function","function":{"name":..,"arguments":""}}], then
//       chunks [{"index":0,"function":{"arguments":"<piece>"}}], finish_reason "tool_calls"; non-streaming,
//       message {"content":null,"tool_calls":[...]}. response_format json_schema / json_object: JSON content.
//   GET  /v1/models -> {"object":"list","data":[{"id","object":"model","created","owned_by", ...}]}:
//       vllm/sglang add "root" and "max_model_len"; llamacpp adds "meta":{"n_ctx" (what one slot serves), "n_ctx_train","size"}.
//   POST /v1/embeddings {"model","input":string|string[],"encoding_format"?:"float"|"base64","dimensions"?}
//       -> {"id":"embd-..","object":"list","created","model","data":[{"index":0,"object":"embedding","embedding":[..]|"<base64 f32 LE>"}],
//           "usage":{"prompt_tokens","total_tokens","completion_tokens":0,"prompt_tokens_details":null}} (vLLM's EmbeddingResponse;
//       vectors: fakeEmbedding.ts, `embeddingLength` long). vllm/sglang serve it for `embeddingModels` only (a pooling runner:
//       `--task embed`), which answer chat 400 "The model does not support Chat Completions API"; a generate model answers
//       embeddings 400 "The model does not support Embeddings API"; `dimensions` 400 (no matryoshka model here). llamacpp (started
//       with --embeddings) embeds for every request and ignores `dimensions`, as llama-server b1-80fb11a does.
// Per flavor:
//   vllm:     GET /health -> 200 empty; GET /version -> {"version":"0.8.5"}
//   sglang:   GET /health -> 200 empty; GET /get_model_info -> {"model_path","tokenizer_path","is_generation":true}
//   max:      GET /v1/health -> 200 {}
//   llamacpp: GET /health -> 200 {"status":"ok"}; GET /props -> as llama-server b1-80fb11a answers it (node/backends/llamacppProps.ts):
//             {"default_generation_settings":{"params":{..},"n_ctx":8192},"total_slots":1,"model_alias","model_path":"/models/<m>.gguf",
//              "modalities":{"vision","video":false,"audio":false},"chat_template":"..","chat_template_caps":{"supports_tools",
//              "supports_tool_calls","supports_parallel_tool_calls","supports_reasoning_effort",..},"build_info","is_sleeping":false}
//             with `template` (default: a ChatML template that renders no tools, as the tiny test models have)
// Faults (options.faults or setFaults):
//   loading503: N  first N chat requests -> 503 + Retry-After: 1; body: llamacpp {"error":{"code":503,"message":"Loading model","type":"unavailable_error"}},
//                  others {"object":"error","message":"The model is still loading","type":"ServiceUnavailableError","param":null,"code":503}
//                  (max: {"error":{...}}). Health answers 503 with the same body while N > 0.
//   pingEveryMs    `: ping` SSE comment lines at that interval while a stream is open
//   midStreamErrorAfter: N   N tokens, then: llamacpp `error: {"code":500,"message":..,"type":"server_error"}`;
//                  others `data: {"error":{"object":"error","message":..,"type":"InternalServerError","param":null,"code":500}}` then `data: [DONE]`
//   dropAfter: N   N tokens, then the socket is destroyed (no final chunk, no [DONE])
//   hang           chat requests are accepted and never answered
//   usage: false   no usage chunk even when include_usage is asked
// Reasoning (option `reasoning`, a text): streamed first as delta.reasoning_content (vLLM's and DeepSeek's name),
// one token per chunk, then the reply; usage counts both and says completion_tokens_details.reasoning_tokens, as
// DeepSeek's API does. `cachedPromptTokens`: usage says prompt_tokens_details.cached_tokens (vLLM with
// --enable-prompt-tokens-details).
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { splitTokens } from '../../../node/backends/splitTokens.ts'
import { pieces, plannedToolCall, structuredReply } from './toolReply.ts'
import { fakeEmbedding } from './fakeEmbedding.ts'
import { createPacer, defaultFakeReply, fakePromptTokens, hangUntilClosed, listenFake, readJsonBody, sendJson, streamEnding, trackStream } from './pacer.ts'
import type { FakeBackendOptions, FakeBackendServer, FakeFaults, FakeStats } from './pacer.ts'

export type OpenAIFlavor = 'vllm' | 'sglang' | 'max' | 'llamacpp'
/** What a llama-server's chat template (and mmproj) can do, as /props reports it; default none of these. */
export type FakeTemplate = { tools?: boolean | undefined; reasoningEffort?: boolean | undefined; vision?: boolean | undefined }
export type StartFakeOpenAIOptions = FakeBackendOptions & {
  flavor: OpenAIFlavor
  template?: FakeTemplate | undefined
  /** Models run by a pooling runner (vLLM `--task embed`): listed, embeddings only. */
  embeddingModels?: string[] | undefined
  /** Length of /v1/embeddings vectors; default 16. */
  embeddingLength?: number | undefined
  /** Reasoning streamed before the reply (see the header). */
  reasoning?: string | undefined
  /** Prompt tokens the usage says came from the prompt cache. */
  cachedPromptTokens?: number | undefined
}

const owners: Record<OpenAIFlavor, string> = { vllm: 'vllm', sglang: 'sglang', max: 'modular', llamacpp: 'llamacpp' }

export async function startFakeOpenAI(options: StartFakeOpenAIOptions): Promise<FakeBackendServer> {
  const { flavor, models: chatModels = ['fake-model'], reply = defaultFakeReply, ttftMs = 0, tokensPerSecond = 0, embeddingModels = [], embeddingLength = 16 } = options
  const models = [...chatModels, ...embeddingModels]
  const vllmError = (message: string, code = 400) => ({ object: 'error', message, type: code === 400 ? 'BadRequestError' : 'NotFoundError', param: null, code })
  let faults: FakeFaults = { ...options.faults }
  let loadingLeft = faults.loading503 ?? 0
  const stats: FakeStats = { requests: 0, chats: 0, activeStreams: 0, cancelled: 0, lastChatBody: undefined }
  const pacer = createPacer()
  const created = Math.floor(Date.now() / 1000)
  let seq = 0

  const loadingBody = () =>
    flavor === 'llamacpp'
      ? { error: { code: 503, message: 'Loading model', type: 'unavailable_error' } }
      : flavor === 'max'
        ? { error: { message: 'The model is still loading', type: 'service_unavailable', code: 503 } }
        : { object: 'error', message: 'The model is still loading', type: 'ServiceUnavailableError', param: null, code: 503 }

  const health = (res: ServerResponse, ok: unknown) => {
    if (loadingLeft > 0) return sendJson(res, 503, loadingBody(), { 'retry-after': '1' })
    if (ok === undefined) {
      res.writeHead(200, { 'content-length': 0 })
      return res.end()
    }
    sendJson(res, 200, ok)
  }

  const listModels = () => ({
    object: 'list',
    data: models.map((id) => ({
      id,
      object: 'model',
      created,
      owned_by: owners[flavor],
      ...(flavor === 'vllm' || flavor === 'sglang' ? { root: id, parent: null, max_model_len: 32768 } : {}),
      ...(flavor === 'llamacpp' ? { meta: { vocab_type: 2, n_vocab: 128256, n_ctx: 8192, n_ctx_train: 131072, n_embd: 4096, n_params: 8030261248, size: 4912898304 } } : {}),
    })),
  })

  const template = options.template ?? {}
  const props = () => ({
    default_generation_settings: { params: { temperature: 0.8, top_k: 40, top_p: 0.95, n_probs: 0, chat_format: 'Content-only', reasoning_format: 'none' }, n_ctx: 8192 },
    total_slots: 1,
    model_alias: models[0],
    model_path: `/models/${models[0]}.gguf`,
    modalities: { vision: template.vision === true, video: false, audio: false },
    chat_template: "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}",
    chat_template_caps: {
      supports_object_arguments: template.tools === true,
      supports_parallel_tool_calls: template.tools === true,
      supports_preserve_reasoning: false,
      supports_reasoning_effort: template.reasoningEffort === true,
      supports_string_content: true,
      supports_system_role: true,
      supports_tool_calls: template.tools === true,
      supports_tools: template.tools === true,
      supports_typed_content: false,
    },
    bos_token: '<|endoftext|>',
    eos_token: '<|im_end|>',
    build_info: 'b1-80fb11a',
    is_sleeping: false,
  })

  const chat = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readJsonBody(req)
    stats.chats++
    stats.lastChatBody = body
    const f = faults
    if (f.hang) return hangUntilClosed(res, stats)
    if (loadingLeft > 0) {
      loadingLeft--
      return sendJson(res, 503, loadingBody(), { 'retry-after': '1' })
    }
    const model = String(body.model ?? '')
    if (flavor !== 'llamacpp' && !models.includes(model)) {
      const message = `The model \`${model}\` does not exist.`
      return sendJson(res, 404, flavor === 'max' ? { error: { message, type: 'invalid_request_error', code: 'model_not_found' } } : { object: 'error', message, type: 'NotFoundError', param: null, code: 404 })
    }
    if (embeddingModels.includes(model)) return sendJson(res, 400, vllmError('The model does not support Chat Completions API'))
    const call = plannedToolCall(body)
    if (call) return toolCallReply(res, body, call)
    const json = structuredReply(body.response_format)
    let tokens = json === undefined ? splitTokens(typeof reply === 'function' ? reply(body) : reply) : pieces(json, 4)
    const maxTokens = (body.max_tokens ?? body.max_completion_tokens) as number | undefined
    let finish = 'stop'
    if (typeof maxTokens === 'number' && tokens.length > maxTokens) {
      tokens = tokens.slice(0, maxTokens)
      finish = 'length'
    }
    const promptTokens = fakePromptTokens(body.messages)
    const thinking = options.reasoning ? splitTokens(options.reasoning) : []
    const usageOf = (prompt: number, content: number) => ({
      prompt_tokens: prompt,
      completion_tokens: content + thinking.length,
      total_tokens: prompt + content + thinking.length,
      ...(options.cachedPromptTokens !== undefined ? { prompt_tokens_details: { cached_tokens: options.cachedPromptTokens } } : {}),
      ...(thinking.length ? { completion_tokens_details: { reasoning_tokens: thinking.length } } : {}),
    })
    const id = `chatcmpl-${++seq}`
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices, ...extra })}\n\n`
    const choice = (delta: Record<string, unknown>, finishReason: string | null = null) => ({ index: 0, delta, logprobs: null, finish_reason: finishReason })

    if (body.stream !== true) {
      return sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: tokens.join(''), ...(thinking.length ? { reasoning_content: thinking.join('') } : {}) }, logprobs: null, finish_reason: finish }],
        usage: usageOf(promptTokens, tokens.length),
      })
    }

    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' })
    res.flushHeaders()
    let ping: ReturnType<typeof setInterval> | undefined
    let removeFromPacer: (() => void) | undefined
    const stream = trackStream(res, stats, () => {
      clearInterval(ping)
      clearTimeout(ttft)
      removeFromPacer?.()
    })
    if (f.pingEveryMs) ping = setInterval(() => res.write(': ping\n\n'), f.pingEveryMs)
    const { mode, limit } = streamEnding(tokens.length, f)
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true && f.usage !== false
    const ttft = setTimeout(() => {
      res.write(chunk([choice({ role: 'assistant', content: '' })]))
      removeFromPacer = pacer.add({
        total: limit + thinking.length,
        tokensPerSecond,
        write: (from, to) => {
          let out = ''
          for (let i = from; i < to; i++) out += chunk([choice(i < thinking.length ? { reasoning_content: thinking[i] } : { content: tokens[i - thinking.length] })])
          res.write(out)
        },
        onEnd: () => {
          clearInterval(ping)
          if (mode === 'drop') return stream.drop()
          if (mode === 'error') {
            const message = 'CUDA error: an illegal memory access was encountered'
            if (flavor === 'llamacpp') res.end(`error: ${JSON.stringify({ code: 500, message, type: 'server_error' })}\n\n`)
            else res.end(`data: ${JSON.stringify({ error: { object: 'error', message, type: 'InternalServerError', param: null, code: 500 } })}\n\ndata: [DONE]\n\n`)
            return
          }
          let out = chunk([choice({ content: '' }, finish)])
          if (includeUsage) out += chunk([], { usage: usageOf(promptTokens, tokens.length) })
          res.end(out + 'data: [DONE]\n\n')
        },
      })
    }, ttftMs)
  }

  /** A reply that is one tool call (toolReply.ts), streamed or whole, with usage. */
  const toolCallReply = (res: ServerResponse, body: Record<string, unknown>, call: { name: string; arguments: unknown }) => {
    const model = String(body.model ?? '')
    const id = `chatcmpl-${++seq}`
    const callId = `call_${seq}abc`
    const args = pieces(JSON.stringify(call.arguments))
    const promptTokens = fakePromptTokens(body.messages)
    const usage = { prompt_tokens: promptTokens, completion_tokens: args.length + 2, total_tokens: promptTokens + args.length + 2 }
    if (body.stream !== true) {
      const message = { role: 'assistant', content: null, tool_calls: [{ id: callId, type: 'function', function: { name: call.name, arguments: args.join('') } }] }
      return sendJson(res, 200, { id, object: 'chat.completion', created, model, choices: [{ index: 0, message, logprobs: null, finish_reason: 'tool_calls' }], usage })
    }
    const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: finish === 'usage' ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...extra })}\n\n`
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' })
    res.flushHeaders()
    // Paced like a text reply (ttftMs, tokensPerSecond): one argument piece per token.
    let removeFromPacer: (() => void) | undefined
    trackStream(res, stats, () => {
      clearTimeout(ttft)
      removeFromPacer?.()
    })
    const ttft = setTimeout(() => {
      res.write(chunk({ role: 'assistant', content: null }) + chunk({ tool_calls: [{ index: 0, id: callId, type: 'function', function: { name: call.name, arguments: '' } }] }))
      removeFromPacer = pacer.add({
        total: args.length,
        tokensPerSecond,
        write: (from, to) => {
          let out = ''
          for (let i = from; i < to; i++) out += chunk({ tool_calls: [{ index: 0, function: { arguments: args[i] } }] })
          res.write(out)
        },
        onEnd: () => {
          let out = chunk({}, 'tool_calls')
          if ((body.stream_options as { include_usage?: boolean } | undefined)?.include_usage) out += chunk({}, 'usage', { usage })
          res.end(out + 'data: [DONE]\n\n')
        },
      })
    }, ttftMs)
  }

  const embeddings = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readJsonBody(req)
    const model = String(body.model ?? '')
    if (flavor !== 'llamacpp') {
      if (!models.includes(model)) return sendJson(res, 404, vllmError(`The model \`${model}\` does not exist.`, 404))
      if (!embeddingModels.includes(model)) return sendJson(res, 400, vllmError('The model does not support Embeddings API'))
      if (body.dimensions !== undefined) return sendJson(res, 400, vllmError(`Model "${model}" does not support matryoshka representation, changing output dimensions will lead to poor results.`))
    }
    const input = typeof body.input === 'string' ? [body.input] : body.input
    if (!Array.isArray(input) || !input.every((s) => typeof s === 'string')) return sendJson(res, 400, vllmError('input must be a string or an array of strings'))
    const base64 = body.encoding_format === 'base64'
    const data = input.map((text: string, index) => {
      const v = fakeEmbedding(model, text, embeddingLength)
      return { index, object: 'embedding', embedding: base64 ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v }
    })
    const tokens = input.reduce((n: number, t: string) => n + splitTokens(t).length, 0)
    sendJson(res, 200, { id: `embd-${++seq}`, object: 'list', created, model, data, usage: { prompt_tokens: tokens, total_tokens: tokens, completion_tokens: 0, prompt_tokens_details: null } })
  }

  const server = createServer((req, res) => {
    stats.requests++
    const path = (req.url ?? '/').split('?')[0]
    const route = `${req.method} ${path}`
    const fail = (err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(err) } })
      else res.destroy()
    }
    if (route === 'POST /v1/chat/completions') return void chat(req, res).catch(fail)
    if (route === 'GET /v1/models') return sendJson(res, 200, listModels())
    if (route === 'POST /v1/embeddings') return void embeddings(req, res).catch(fail)
    if (flavor === 'vllm' && route === 'GET /health') return health(res, undefined)
    if (flavor === 'vllm' && route === 'GET /version') return sendJson(res, 200, { version: '0.8.5' })
    if (flavor === 'sglang' && route === 'GET /health') return health(res, undefined)
    if (flavor === 'sglang' && route === 'GET /get_model_info') return sendJson(res, 200, { model_path: models[0], tokenizer_path: models[0], is_generation: true })
    if (flavor === 'max' && route === 'GET /v1/health') return health(res, {})
    if (flavor === 'llamacpp' && route === 'GET /health') return health(res, { status: 'ok' })
    if (flavor === 'llamacpp' && route === 'GET /props') return sendJson(res, 200, props())
    sendJson(res, 404, { detail: 'Not Found' })
  })
  const { url, close } = await listenFake(server, pacer)
  return {
    url,
    stats,
    setFaults(next) {
      faults = { ...next }
      loadingLeft = faults.loading503 ?? 0
    },
    close,
  }
}
