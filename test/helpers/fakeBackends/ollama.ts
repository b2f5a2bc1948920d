// A fake Ollama server on node:http (127.0.0.1, port 0) speaking Ollama's native API, as documented in the
// ollama/ollama repository (docs/api.md, docs/openapi.yaml, docs/api/errors.mdx, docs/capabilities/*.mdx) and
// marshalled by its server (api/types.go: ChatRequest, ChatResponse, Message, ToolCall, Logprob, ...). It plays
// Ollama 0.32 (`version`). Durations are nanoseconds; JSON replies are application/json; charset=utf-8, streams
// application/x-ndjson (one JSON object per line). Unknown request fields are ignored; every request is recorded
// in `received` (and the last chat body in stats.lastChatBody) so tests can assert what the adapter sent.
//
// Endpoints:
//   GET|HEAD /            -> 200 "Ollama is running"
//   GET|HEAD /api/version -> {"version":"0.32.15"}
//   GET|HEAD /api/tags    -> {"models":[{"name":"llama3:latest","model":"llama3:latest","modified_at","size","digest":<64 hex>,
//                              "details":{"parent_model":"","format":"gguf","family","families","parameter_size","quantization_level"}}]}
//   GET  /api/ps          -> {"models":[{"name","model","size","digest","details","expires_at","size_vram","context_length"}]} for `loaded`
//   POST /api/show        {"model"|"name","verbose"?} -> {"modelfile","parameters","template","details","model_info":{"general.architecture":"llama",
//                              "general.parameter_count",..,"llama.context_length":N,"llama.embedding_length":E,..},"capabilities":["completion","tools",..],"modified_at"}
//                         no model -> 400 {"error":"model is required"}; unknown -> 404 {"error":"model 'x:latest' not found"}
//   POST /api/chat        {"model","messages":[{"role":"system"|"user"|"assistant"|"tool","content","thinking"?,"images"?:[base64],
//                              "tool_calls"?:[{"function":{"name","arguments":{..}}}],"tool_name"?}],
//                          "tools"?:[{"type":"function","function":{"name","description","parameters":<JSON schema>}}],
//                          "format"?:"json"|<JSON schema>,"options"?:{num_predict,temperature,top_p,top_k,stop,seed,num_ctx,..},
//                          "stream"?:bool (default true),"keep_alive"?:"5m"|seconds,"think"?:bool|"low"|"medium"|"high"|"max",
//                          "logprobs"?:bool,"top_logprobs"?:0..20,"truncate"?,"shift"?}
//      stream (default) -> application/x-ndjson, one record per token:
//        {"model":m,"created_at":..,"message":{"role":"assistant","content":"","thinking":"Let"},"done":false}      (thinking tokens first)
//        {"model":m,"created_at":..,"message":{"role":"assistant","content":"Hello"},"done":false,
//         "logprobs":[{"token":"Hello","logprob":-0.1,"bytes":[72,..],"top_logprobs":[{"token","logprob","bytes"},..]}]}  (logprobs when asked)
//        {"model":m,..,"message":{"role":"assistant","content":"","tool_calls":[{"id":"call_ab12cd34","function":{"index":0,"name":"get_weather",
//         "arguments":{"city":"Tokyo"}}}]},"done":false}                                                         (whole calls, one record)
//        {"model":m,"created_at":..,"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop"|"length",
//         "total_duration":..,"load_duration":..,"prompt_eval_count":P,"prompt_eval_duration":..,"eval_count":C,"eval_duration":..}
//      stream:false -> application/json, the final record with the whole message (content, thinking, tool_calls) and all logprobs.
//      `name` and `name:latest` are the same model. messages [] -> {"message":{"role":"assistant","content":""},"done":true,"done_reason":"load"}
//      (with keep_alive 0: "unload", and the model leaves /api/ps). options.num_predict truncates (thinking + content) with done_reason
//      "length"; options.stop cuts the content before the first stop string; other options are accepted and ignored.
//      think: a model with the "thinking" capability thinks unless think is false (Ollama's default is on); think set on any other
//      model -> 400 {"error":"\"x\" does not support thinking"}. tools on a model without "tools" -> 400
//      {"error":"registry.ollama.ai/library/x:latest does not support tools"}; with tools and `toolCalls` configured the reply is those
//      calls (content ""). format "json" or a schema -> content is `formatReply`, by default {"reply":<reply>} or an instance of the schema;
//      any other format -> 500 {"error":"invalid format: \"\\\"xml\\\"\"; expected \"json\" or a valid JSON Schema object"}.
//      Refusals (application/json): empty body -> 400 "missing request body"; bad JSON or a mistyped field -> 400 (Go's encoding/json
//      wording, e.g. "json: cannot unmarshal string into Go struct field ChatRequest.stream of type bool"); bad base64 image -> 400
//      "illegal base64 data at input byte N"; think "x" -> 400 "invalid think value: \"x\" (must be ...)"; top_logprobs outside 0..20 ->
//      400 "top_logprobs must be between 0 and 20"; model "" -> 400 "model is required"; unknown model -> 404 "model 'x' not found";
//      a mistyped option -> 500 "option \"num_predict\" must be of type integer".
//   POST /api/embed       {"model","input":string|string[],"truncate"?,"dimensions"?,"keep_alive"?,"options"?}
//                          -> {"model","embeddings":[[..unit vector..]],"total_duration","load_duration","prompt_eval_count"}
//                          input "" or [] -> {"model","embeddings":[]}; other input -> 400 "invalid input type"; unknown -> 404 "model 'x' not found";
//                          truncate:false and an input over the context -> 400 "the input length exceeds the context length".
//   POST /api/embeddings  {"model","prompt"} -> {"embedding":[..]}   (superseded by /api/embed)
//   POST /api/pull        {"model"|"name","stream"?} -> NDJSON {"status":"pulling manifest"}, {"status":"pulling <12 hex>","digest","total","completed"} x3,
//        {"status":"verifying sha256 digest"}, {"status":"writing manifest"}, {"status":"success"}; the model is then listed.
//        stream:false -> {"status":"success"}. A model not in `pullable` (when given) -> a line {"error":"pull model manifest: file does not exist"}
//        (stream:false: 500 with that body). No model -> 400 {"error":"invalid model name"}.
//   Other paths -> 404 "404 page not found"; a known path with another method -> 405 "405 method not allowed".
// Faults: loading503: N (first N chats -> 503 {"error":"server busy, please try again.  maximum pending requests exceeded"}, Retry-After: 1
//   (Ollama itself sends no Retry-After)), midStreamErrorAfter: N (N records then {"error":"an error was encountered while running the model:
//   unexpected EOF"}), dropAfter: N (N records then the socket is destroyed), hang, usage:false (no prompt_eval_count/eval_count).
//   pingEveryMs does not apply (Ollama's NDJSON has no keep-alive lines).
// Not modelled: /api/generate, /api/create, /api/copy, /api/delete, /api/push, blobs; chats do not load models into /api/ps unless
// `loadOnChat` (Ollama does load them); expires_at is fixed; images are accepted on any model and do not change the reply.
import { createHash, randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { splitTokens } from '../../../node/backends/splitTokens.ts'
import { fakeEmbedding as embedding, normalizeEmbedding as normalize } from './fakeEmbedding.ts'
import { BadRequest, checkChatRequest, checkKeepAlive, decodeBody, exampleForSchema, expectField, formatOf, isZeroKeepAlive, optionsError } from './ollamaWire.ts'
import { createPacer, defaultFakeReply, fakePromptTokens, hangUntilClosed, listenFake, streamEnding, trackStream } from './pacer.ts'
import type { FakeBackendOptions, FakeBackendServer, FakeFaults, FakeStats } from './pacer.ts'

/** What /api/show lists and /api/chat checks (Ollama's model.Capability values). */
export type OllamaCapability = 'completion' | 'tools' | 'insert' | 'vision' | 'embedding' | 'thinking' | 'image' | 'audio'
/** A tool call the fake returns: arguments are an object, as Ollama sends them (never a JSON string). */
export type FakeToolCall = { name: string; arguments: Record<string, unknown>; id?: string | undefined }
type PerRequest<T> = T | ((body: Record<string, unknown>) => T)

export type StartFakeOllamaOptions = FakeBackendOptions & {
  /** Models in memory (/api/ps); default the first model. */
  loaded?: string[] | undefined
  /** Models /api/pull can fetch; default any. */
  pullable?: string[] | undefined
  /** GET /api/version; default '0.32.15'. */
  version?: string | undefined
  /** Per model (tag optional): its capabilities; default ['completion', 'tools'] for every model. */
  capabilities?: Record<string, OllamaCapability[]> | undefined
  /** The reasoning a thinking model emits before its reply; default a short sentence. */
  thinking?: PerRequest<string> | undefined
  /** The calls returned when the request has `tools`; undefined or [] = answer with text. */
  toolCalls?: PerRequest<FakeToolCall[] | undefined> | undefined
  /** The content when `format` is set; default {"reply":<reply>} for "json", an instance of the schema otherwise. */
  formatReply?: PerRequest<string> | undefined
  /** /api/show model_info <arch>.context_length; default 8192 (also the limit for embed truncate:false). */
  contextLength?: number | undefined
  /** /api/ps context_length (the context the runner was loaded with); default 4096. */
  numCtx?: number | undefined
  /** Length of /api/embed vectors; default 16. */
  embeddingLength?: number | undefined
  /** A chat adds its model to /api/ps, as Ollama does; default false (the loaded set stays as configured). */
  loadOnChat?: boolean | undefined
}

export type FakeOllamaRequest = { method: string; path: string; body: unknown }
export type FakeOllamaServer = FakeBackendServer & {
  /** Every request in arrival order: method, path, and the parsed JSON body (raw text when it did not parse, undefined when empty). */
  received: FakeOllamaRequest[]
}

const withTag = (name: string) => (name.includes(':') ? name : `${name}:latest`)
/** Ollama's fully qualified name, as its capability errors print it. */
const qualified = (name: string) => `registry.ollama.ai/${withTag(name).includes('/') ? '' : 'library/'}${withTag(name)}`
const defaultThinking = 'The user wants a short greeting; I will answer plainly.'
const arch = 'llama'
const details = { parent_model: '', format: 'gguf', family: arch, families: [arch], parameter_size: '8.0B', quantization_level: 'Q4_0' }
const jsonType = 'application/json; charset=utf-8'
const routes: Record<string, string[]> = {
  '/': ['GET', 'HEAD'],
  '/api/version': ['GET', 'HEAD'],
  '/api/tags': ['GET', 'HEAD'],
  '/api/ps': ['GET'],
  '/api/show': ['POST'],
  '/api/chat': ['POST'],
  '/api/embed': ['POST'],
  '/api/embeddings': ['POST'],
  '/api/pull': ['POST'],
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': jsonType, 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

const resolve = <T>(v: PerRequest<T>, body: Record<string, unknown>): T => (typeof v === 'function' ? (v as (b: Record<string, unknown>) => T)(body) : v)

/** A stable pseudo log probability for the i-th generated token, and its alternatives (always lower). */
function logprobEntry(token: string, i: number, top: number) {
  const logprob = -Math.round((0.05 + (i % 7) * 0.11) * 1e4) / 1e4
  const bytes = [...Buffer.from(token, 'utf8')]
  if (top <= 0) return { token, logprob, bytes }
  const alternatives = Array.from({ length: top - 1 }, (_, j) => {
    const alt = `${token.trim() || '_'}~${j + 1}`
    return { token: alt, logprob: Math.round((logprob - 1.5 * (j + 1)) * 1e4) / 1e4, bytes: [...Buffer.from(alt, 'utf8')] }
  })
  return { token, logprob, bytes, top_logprobs: [{ token, logprob, bytes }, ...alternatives] }
}


/** Ollama's tool call ids: "call_" and 8 characters of [a-z0-9]. */
function toolCallId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  return 'call_' + Array.from(randomBytes(8), (b) => alphabet[b % alphabet.length]).join('')
}

type Piece = { kind: 'thinking' | 'content'; text: string }

export async function startFakeOllama(options: StartFakeOllamaOptions = {}): Promise<FakeOllamaServer> {
  const { reply = defaultFakeReply, ttftMs = 0, tokensPerSecond = 0, pullable, version = '0.32.15' } = options
  const { contextLength = 8192, numCtx = 4096, embeddingLength = 16, loadOnChat = false } = options
  const models = (options.models ?? ['llama3']).map(withTag)
  const loaded = (options.loaded ?? models.slice(0, 1)).map(withTag)
  const capabilities = new Map(Object.entries(options.capabilities ?? {}).map(([k, v]) => [withTag(k), v]))
  const capabilitiesOf = (name: string): OllamaCapability[] => capabilities.get(withTag(name)) ?? ['completion', 'tools']
  let faults: FakeFaults = { ...options.faults }
  let loadingLeft = faults.loading503 ?? 0
  const stats: FakeStats = { requests: 0, chats: 0, activeStreams: 0, cancelled: 0, lastChatBody: undefined }
  const received: FakeOllamaRequest[] = []
  const pacer = createPacer()
  const now = () => new Date().toISOString()
  const describe = (name: string) => ({
    name,
    model: name,
    modified_at: '2025-01-01T00:00:00Z',
    size: 4661224676,
    // A manifest digest per model, as Ollama gives one per pulled tag (hex, no scheme).
    digest: createHash('sha256').update(`manifest:${name}`).digest('hex'),
    details,
  })
  const known = (name: string) => models.includes(withTag(name))

  const readBody = async (req: IncomingMessage, path: string, goType: string): Promise<Record<string, unknown>> => {
    const text = await readText(req)
    let logged: unknown = undefined
    if (text) {
      try {
        logged = JSON.parse(text)
      } catch {
        logged = text
      }
    }
    received.push({ method: req.method ?? '', path, body: logged })
    if (path === '/api/chat' && logged && typeof logged === 'object' && !Array.isArray(logged)) stats.lastChatBody = logged as Record<string, unknown>
    return decodeBody(text, goType)
  }

  const chat = async (req: IncomingMessage, res: ServerResponse) => {
    stats.chats++
    const body = await readBody(req, '/api/chat', 'api.ChatRequest')
    checkChatRequest(body)
    const topLogprobs = (body.top_logprobs as number | undefined) ?? 0
    if (topLogprobs < 0 || topLogprobs > 20) throw new BadRequest('top_logprobs must be between 0 and 20')
    const model = (body.model as string | undefined) ?? ''
    if (!model) throw new BadRequest('model is required')
    if (!known(model)) return sendJson(res, 404, { error: `model '${model}' not found` })
    const messages = (body.messages as unknown[] | undefined) ?? []
    const emptyRecord = (doneReason: string) => ({ model, created_at: now(), message: { role: 'assistant', content: '' }, done: true, done_reason: doneReason })
    if (messages.length === 0 && isZeroKeepAlive(body.keep_alive)) {
      const i = loaded.indexOf(withTag(model))
      if (i >= 0) loaded.splice(i, 1)
      return sendJson(res, 200, emptyRecord('unload'))
    }
    const caps = capabilitiesOf(model)
    const think = body.think as boolean | string | undefined | null
    const thinks = caps.includes('thinking') ? think !== false : false
    if (!caps.includes('thinking') && think !== undefined && think !== null && think !== false) {
      return sendJson(res, 400, { error: `${JSON.stringify(model)} does not support thinking` })
    }
    const tools = (body.tools as unknown[] | undefined) ?? []
    if (tools.length > 0 && !caps.includes('tools')) return sendJson(res, 400, { error: `${qualified(model)} does not support tools` })
    if (!caps.includes('completion')) return sendJson(res, 400, { error: `${JSON.stringify(model)} does not support chat` })
    const optionError = optionsError(body.options)
    if (optionError) return sendJson(res, 500, { error: optionError })
    const f = faults
    if (f.hang) return hangUntilClosed(res, stats)
    if (loadingLeft > 0) {
      loadingLeft--
      return sendJson(res, 503, { error: 'server busy, please try again.  maximum pending requests exceeded' }, { 'retry-after': '1' })
    }
    if (loadOnChat && !loaded.includes(withTag(model))) loaded.push(withTag(model))
    if (messages.length === 0) return sendJson(res, 200, emptyRecord('load'))
    const format = formatOf(body.format)
    if (format.kind === 'invalid') return sendJson(res, 500, { error: format.error })

    // What the model "generates": thinking, then either whole tool calls or content.
    const calls = tools.length > 0 ? (resolve(options.toolCalls, body) ?? []) : []
    let content = ''
    if (calls.length === 0) {
      if (format.kind === 'none') content = resolve(reply, body)
      else if (options.formatReply !== undefined) content = resolve(options.formatReply, body)
      else content = JSON.stringify(format.kind === 'json' ? { reply: resolve(reply, body) } : exampleForSchema(format.schema))
    }
    const opts = (body.options ?? {}) as { num_predict?: number; stop?: string[] }
    for (const stop of opts.stop ?? []) {
      const at = stop ? content.indexOf(stop) : -1
      if (at >= 0) content = content.slice(0, at)
    }
    let pieces: Piece[] = [
      ...(thinks ? splitTokens(resolve(options.thinking ?? defaultThinking, body)).map((text): Piece => ({ kind: 'thinking', text })) : []),
      ...splitTokens(content).map((text): Piece => ({ kind: 'content', text })),
    ]
    let doneReason = 'stop'
    const numPredict = opts.num_predict
    if (typeof numPredict === 'number' && numPredict >= 0 && pieces.length > numPredict) {
      pieces = pieces.slice(0, numPredict)
      doneReason = 'length'
    }
    const toolCalls =
      doneReason === 'stop'
        ? calls.map((c, index) => ({ id: c.id ?? toolCallId(), function: { index, name: c.name, arguments: c.arguments } }))
        : []
    const wantLogprobs = body.logprobs === true
    const logprobs = wantLogprobs ? pieces.map((p, i) => logprobEntry(p.text, i, topLogprobs)) : []
    const evalCount = pieces.length + (toolCalls.length ? splitTokens(JSON.stringify(toolCalls.map((c) => c.function))).length : 0)
    const promptTokens = fakePromptTokens(body.messages)
    const metrics = () => ({
      total_duration: 5_043_500_667,
      load_duration: 5_025_959,
      ...(f.usage === false ? {} : { prompt_eval_count: promptTokens, prompt_eval_duration: 325_953_000, eval_count: evalCount, eval_duration: 4_709_213_000 }),
    })

    if (body.stream === false) {
      const join = (kind: Piece['kind']) => pieces.filter((p) => p.kind === kind).map((p) => p.text).join('')
      const thinking = join('thinking')
      const message = { role: 'assistant', content: join('content'), ...(thinking ? { thinking } : {}), ...(toolCalls.length ? { tool_calls: toolCalls } : {}) }
      return sendJson(res, 200, { model, created_at: now(), message, done: true, done_reason: doneReason, ...(logprobs.length ? { logprobs } : {}), ...metrics() })
    }

    // One record per token, then one with the tool calls (if any), then the done record.
    const records = pieces.length + (toolCalls.length ? 1 : 0)
    const record = (i: number, at: string) => {
      const p = pieces[i]
      if (!p) return JSON.stringify({ model, created_at: at, message: { role: 'assistant', content: '', tool_calls: toolCalls }, done: false }) + '\n'
      const message = p.kind === 'thinking' ? { role: 'assistant', content: '', thinking: p.text } : { role: 'assistant', content: p.text }
      return JSON.stringify({ model, created_at: at, message, done: false, ...(wantLogprobs ? { logprobs: [logprobs[i]] } : {}) }) + '\n'
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson' })
    res.flushHeaders()
    let removeFromPacer: (() => void) | undefined
    const stream = trackStream(res, stats, () => {
      clearTimeout(ttft)
      removeFromPacer?.()
    })
    const { mode, limit } = streamEnding(records, f)
    const ttft = setTimeout(() => {
      removeFromPacer = pacer.add({
        total: limit,
        tokensPerSecond,
        write: (from, to) => {
          let out = ''
          const at = now()
          for (let i = from; i < to; i++) out += record(i, at)
          res.write(out)
        },
        onEnd: () => {
          if (mode === 'drop') stream.drop()
          else if (mode === 'error') res.end(JSON.stringify({ error: 'an error was encountered while running the model: unexpected EOF' }) + '\n')
          else res.end(JSON.stringify({ model, created_at: now(), message: { role: 'assistant', content: '' }, done: true, done_reason: doneReason, ...metrics() }) + '\n')
        },
      })
    }, ttftMs)
  }

  const embed = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req, '/api/embed', 'api.EmbedRequest')
    expectField(body.model, 'string', 'EmbedRequest.model')
    checkKeepAlive(body.keep_alive)
    expectField(body.truncate, 'bool', 'EmbedRequest.truncate')
    expectField(body.dimensions, 'int', 'EmbedRequest.dimensions')
    expectField(body.options, 'object', 'EmbedRequest.options')
    const model = (body.model as string | undefined) ?? ''
    if (!model) return sendJson(res, 404, { error: `model '' not found` })
    const input = body.input
    let inputs: string[]
    if (typeof input === 'string') inputs = input ? [input] : []
    else if (Array.isArray(input) && input.every((s) => typeof s === 'string')) inputs = input as string[]
    else if (input === undefined || input === null) inputs = []
    else throw new BadRequest('invalid input type')
    if (!known(model)) return sendJson(res, 404, { error: `model '${model}' not found` })
    const optionError = optionsError(body.options)
    if (optionError) return sendJson(res, 500, { error: optionError })
    if (inputs.length === 0) return sendJson(res, 200, { model, embeddings: [] })
    if (body.truncate === false && inputs.some((t) => splitTokens(t).length > contextLength)) throw new BadRequest('the input length exceeds the context length')
    const dimensions = (body.dimensions as number | undefined) ?? 0
    const embeddings = inputs.map((t) => {
      const v = embedding(model, t, embeddingLength)
      return dimensions > 0 && dimensions < v.length ? normalize(v.slice(0, dimensions)) : v
    })
    const promptEvalCount = inputs.reduce((n, t) => n + splitTokens(t).length, 0)
    sendJson(res, 200, { model, embeddings, total_duration: 14_143_917, load_duration: 1_019_500, prompt_eval_count: promptEvalCount })
  }

  const legacyEmbeddings = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req, '/api/embeddings', 'api.EmbeddingRequest')
    expectField(body.model, 'string', 'EmbeddingRequest.model')
    expectField(body.prompt, 'string', 'EmbeddingRequest.prompt')
    const model = (body.model as string | undefined) ?? ''
    if (!known(model)) return sendJson(res, 404, { error: `model '${model}' not found` })
    const prompt = (body.prompt as string | undefined) ?? ''
    sendJson(res, 200, { embedding: prompt ? embedding(model, prompt, embeddingLength) : [] })
  }

  const show = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req, '/api/show', 'api.ShowRequest')
    expectField(body.model, 'string', 'ShowRequest.model')
    expectField(body.name, 'string', 'ShowRequest.name')
    expectField(body.verbose, 'bool', 'ShowRequest.verbose')
    const model = (body.model as string | undefined) || ((body.name as string | undefined) ?? '')
    if (!model) throw new BadRequest('model is required')
    if (!known(model)) return sendJson(res, 404, { error: `model '${withTag(model)}' not found` })
    const caps = capabilitiesOf(model)
    const embeds = caps.includes('embedding')
    sendJson(res, 200, {
      modelfile: `# Modelfile generated by "ollama show"\nFROM ${withTag(model)}\nTEMPLATE """{{ .Prompt }}"""\nPARAMETER stop "<|eot_id|>"\n`,
      parameters: 'stop                           "<|eot_id|>"',
      template: '{{ if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>{{ end }}{{ .Prompt }}',
      details,
      model_info: {
        'general.architecture': arch,
        'general.file_type': 2,
        'general.parameter_count': 8030261248,
        'general.quantization_version': 2,
        [`${arch}.attention.head_count`]: 32,
        [`${arch}.attention.head_count_kv`]: 8,
        [`${arch}.block_count`]: 32,
        [`${arch}.context_length`]: contextLength,
        [`${arch}.embedding_length`]: embeds ? embeddingLength : 4096,
        [`${arch}.vocab_size`]: 128256,
        'tokenizer.ggml.model': 'gpt2',
      },
      capabilities: caps,
      modified_at: '2025-01-01T00:00:00Z',
    })
  }

  const pull = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req, '/api/pull', 'api.PullRequest')
    expectField(body.model, 'string', 'PullRequest.model')
    expectField(body.name, 'string', 'PullRequest.name')
    expectField(body.stream, 'bool', 'PullRequest.stream')
    const requested = (body.model as string | undefined) || ((body.name as string | undefined) ?? '')
    if (!requested) throw new BadRequest('invalid model name')
    const name = withTag(requested)
    const missing = pullable !== undefined && !pullable.map(withTag).includes(name)
    const failure = 'pull model manifest: file does not exist'
    if (body.stream === false) {
      if (missing) return sendJson(res, 500, { error: failure })
      if (!models.includes(name)) models.push(name)
      return sendJson(res, 200, { status: 'success' })
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson' })
    const line = (o: unknown) => res.write(JSON.stringify(o) + '\n')
    line({ status: 'pulling manifest' })
    if (missing) {
      res.end(JSON.stringify({ error: failure }) + '\n')
      return
    }
    const total = 4661224676
    const digest = 'sha256:6a0746a1ec1aef3e7ec53868f220ff6e389f6f8ef87a01d77c96807de94ca2aa'
    for (const completed of [0, total / 2, total]) line({ status: `pulling ${digest.slice(7, 19)}`, digest, total, ...(completed ? { completed } : {}) })
    line({ status: 'verifying sha256 digest' })
    line({ status: 'writing manifest' })
    if (!models.includes(name)) models.push(name)
    res.end(JSON.stringify({ status: 'success' }) + '\n')
  }

  const handlers: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>> = {
    'POST /api/chat': chat,
    'POST /api/embed': embed,
    'POST /api/embeddings': legacyEmbeddings,
    'POST /api/show': show,
    'POST /api/pull': pull,
  }

  const server = createServer((req, res) => {
    stats.requests++
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    const method = req.method ?? 'GET'
    const handler = handlers[`${method} ${path}`]
    if (handler) {
      handler(req, res).catch((err: unknown) => {
        if (res.headersSent) res.destroy()
        else if (err instanceof BadRequest) sendJson(res, 400, { error: err.message })
        else sendJson(res, 500, { error: String(err) })
      })
      return
    }
    if (!(path in routes) || !routes[path]?.includes(method)) {
      // GETs and bodiless requests are logged here; the POST handlers log their parsed bodies.
      received.push({ method, path, body: undefined })
      req.resume()
      res.writeHead(path in routes ? 405 : 404, { 'content-type': 'text/plain' })
      res.end(path in routes ? '405 method not allowed' : '404 page not found')
      return
    }
    received.push({ method, path, body: undefined })
    req.resume()
    if (path === '/api/version') return sendJson(res, 200, { version })
    if (path === '/api/tags') return sendJson(res, 200, { models: models.map(describe) })
    if (path === '/api/ps') {
      return sendJson(res, 200, { models: loaded.map((n) => ({ ...describe(n), expires_at: '2099-01-01T00:00:00Z', size_vram: 4661224676, context_length: numCtx })) })
    }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
    res.end('Ollama is running')
  })
  const { url, close } = await listenFake(server, pacer)
  return {
    url,
    stats,
    received,
    setFaults(next) {
      faults = { ...next }
      loadingLeft = faults.loading503 ?? 0
    },
    close,
  }
}
