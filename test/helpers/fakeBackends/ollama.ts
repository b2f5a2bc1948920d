// A fake Ollama server on node:http (127.0.0.1, port 0) speaking Ollama's native API (docs/api.md).
//
// Endpoints:
//   GET  /                -> 200 "Ollama is running"
//   GET  /api/version     -> {"version":"0.5.7"}
//   GET  /api/tags        -> {"models":[{"name":"llama3:latest","model":"llama3:latest","modified_at","size","digest","details":{...}}]}
//   GET  /api/ps          -> {"models":[{"name","model","size","digest","details","expires_at","size_vram"}]} for `loaded` (default: the first model)
//   POST /api/chat        -> application/x-ndjson, one record per token:
//        {"model":m,"created_at":..,"message":{"role":"assistant","content":"Hello"},"done":false}
//        {"model":m,"created_at":..,"message":{"role":"assistant","content":""},"done_reason":"stop"|"length","done":true,
//         "total_duration":..,"load_duration":..,"prompt_eval_count":P,"prompt_eval_duration":..,"eval_count":C,"eval_duration":..}
//      stream:false -> the final record with the whole message. `name` and `name:latest` are the same model.
//      options.num_predict truncates with done_reason "length".
//      Unknown model -> 404 {"error":"model \"x\" not found, try pulling it first"}
//   POST /api/pull        -> NDJSON {"status":"pulling manifest"}, {"status":"downloading","digest","total","completed"} x3,
//        {"status":"verifying sha256 digest"}, {"status":"writing manifest"}, {"status":"success"}; the model is then listed.
//        A model not in `pullable` (when given) -> {"error":"pull model manifest: file does not exist"}.
// Faults: loading503: N (first N chats -> 503 {"error":"server busy, please try again.  maximum pending requests exceeded"}, Retry-After: 1),
//   midStreamErrorAfter: N (N tokens then {"error":"an error was encountered while running the model: unexpected EOF"}),
//   dropAfter: N (N tokens then the socket is destroyed), hang, usage:false (no prompt_eval_count/eval_count).
//   pingEveryMs does not apply (Ollama's NDJSON has no keep-alive lines).
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { splitTokens } from '../../../node/backends/splitTokens.ts'
import { createPacer, defaultFakeReply, fakePromptTokens, hangUntilClosed, listenFake, readJsonBody, sendJson, streamEnding, trackStream } from './pacer.ts'
import type { FakeBackendOptions, FakeBackendServer, FakeFaults, FakeStats } from './pacer.ts'

export type StartFakeOllamaOptions = FakeBackendOptions & {
  /** Models in memory (/api/ps); default the first model. */
  loaded?: string[] | undefined
  /** Models /api/pull can fetch; default any. */
  pullable?: string[] | undefined
}

const withTag = (name: string) => (name.includes(':') ? name : `${name}:latest`)

export async function startFakeOllama(options: StartFakeOllamaOptions = {}): Promise<FakeBackendServer> {
  const { reply = defaultFakeReply, ttftMs = 0, tokensPerSecond = 0, pullable } = options
  const models = (options.models ?? ['llama3']).map(withTag)
  const loaded = (options.loaded ?? models.slice(0, 1)).map(withTag)
  let faults: FakeFaults = { ...options.faults }
  let loadingLeft = faults.loading503 ?? 0
  const stats: FakeStats = { requests: 0, chats: 0, activeStreams: 0, cancelled: 0, lastChatBody: undefined }
  const pacer = createPacer()
  const now = () => new Date().toISOString()
  const describe = (name: string) => ({
    name,
    model: name,
    modified_at: '2025-01-01T00:00:00Z',
    size: 4661224676,
    // A manifest digest per model, as Ollama gives one per pulled tag (hex, no scheme).
    digest: createHash('sha256').update(`manifest:${name}`).digest('hex'),
    details: { parent_model: '', format: 'gguf', family: 'llama', families: ['llama'], parameter_size: '8.0B', quantization_level: 'Q4_0' },
  })

  const chat = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readJsonBody(req)
    stats.chats++
    stats.lastChatBody = body
    const f = faults
    if (f.hang) return hangUntilClosed(res, stats)
    if (loadingLeft > 0) {
      loadingLeft--
      return sendJson(res, 503, { error: 'server busy, please try again.  maximum pending requests exceeded' }, { 'retry-after': '1' })
    }
    const model = String(body.model ?? '')
    if (!models.includes(withTag(model))) return sendJson(res, 404, { error: `model "${model}" not found, try pulling it first` })
    let tokens = splitTokens(typeof reply === 'function' ? reply(body) : reply)
    const numPredict = (body.options as { num_predict?: number } | undefined)?.num_predict
    let doneReason = 'stop'
    if (typeof numPredict === 'number' && numPredict >= 0 && tokens.length > numPredict) {
      tokens = tokens.slice(0, numPredict)
      doneReason = 'length'
    }
    const promptTokens = fakePromptTokens(body.messages)
    const final = (content: string) =>
      JSON.stringify({
        model,
        created_at: now(),
        message: { role: 'assistant', content },
        done_reason: doneReason,
        done: true,
        total_duration: 5_043_500_667,
        load_duration: 5_025_959,
        ...(f.usage === false ? {} : { prompt_eval_count: promptTokens, prompt_eval_duration: 325_953_000, eval_count: tokens.length, eval_duration: 4_709_213_000 }),
      }) + '\n'
    if (body.stream === false) {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(final(tokens.join('')))
      return
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson' })
    res.flushHeaders()
    let removeFromPacer: (() => void) | undefined
    const stream = trackStream(res, stats, () => {
      clearTimeout(ttft)
      removeFromPacer?.()
    })
    const { mode, limit } = streamEnding(tokens.length, f)
    const ttft = setTimeout(() => {
      removeFromPacer = pacer.add({
        total: limit,
        tokensPerSecond,
        write: (from, to) => {
          let out = ''
          const at = now()
          for (let i = from; i < to; i++) out += JSON.stringify({ model, created_at: at, message: { role: 'assistant', content: tokens[i] }, done: false }) + '\n'
          res.write(out)
        },
        onEnd: () => {
          if (mode === 'drop') stream.drop()
          else if (mode === 'error') {
            res.end(JSON.stringify({ error: 'an error was encountered while running the model: unexpected EOF' }) + '\n')
          } else res.end(final(''))
        },
      })
    }, ttftMs)
  }

  const pull = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readJsonBody(req)
    const name = withTag(String(body.model ?? body.name ?? ''))
    res.writeHead(200, { 'content-type': 'application/x-ndjson' })
    const line = (o: unknown) => res.write(JSON.stringify(o) + '\n')
    line({ status: 'pulling manifest' })
    if (pullable && !pullable.map(withTag).includes(name)) {
      res.end(JSON.stringify({ error: 'pull model manifest: file does not exist' }) + '\n')
      return
    }
    const total = 4661224676
    const digest = 'sha256:6a0746a1ec1aef3e7ec53868f220ff6e389f6f8ef87a01d77c96807de94ca2aa'
    for (const completed of [0, total / 2, total]) line({ status: `pulling ${digest.slice(7, 19)}`, digest, total, completed })
    line({ status: 'verifying sha256 digest' })
    line({ status: 'writing manifest' })
    if (!models.includes(name)) models.push(name)
    res.end(JSON.stringify({ status: 'success' }) + '\n')
  }

  const server = createServer((req, res) => {
    stats.requests++
    const route = `${req.method} ${(req.url ?? '/').split('?')[0]}`
    const fail = (err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(err) })
      else res.destroy()
    }
    if (route === 'POST /api/chat') return void chat(req, res).catch(fail)
    if (route === 'POST /api/pull') return void pull(req, res).catch(fail)
    if (route === 'GET /api/version') return sendJson(res, 200, { version: '0.5.7' })
    if (route === 'GET /api/tags') return sendJson(res, 200, { models: models.map(describe) })
    if (route === 'GET /api/ps') return sendJson(res, 200, { models: loaded.map((n) => ({ ...describe(n), expires_at: '2099-01-01T00:00:00Z', size_vram: 4661224676 })) })
    if (route === 'GET /' || route === 'HEAD /') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
      res.end('Ollama is running')
      return
    }
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end('404 page not found')
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
