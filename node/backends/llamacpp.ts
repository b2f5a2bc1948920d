// llama.cpp's llama-server: GET /health -> 200 {"status":"ok"} or 503 {"error":{"code":503,"message":
// "Loading model","type":"unavailable_error"}}; GET /v1/models (with meta.n_ctx per slot, meta.n_ctx_train and meta.size).
// In-stream errors arrive as an `error: {...}` SSE line. continueFinal: llama-server prefills a trailing
// assistant message by default (ggml-org/llama.cpp#13174, opt-out --no-prefill-assistant #13608), and newer
// builds also accept vLLM's `continue_final_message` + `add_generation_prompt: false` (#23012), which then
// prefill regardless of that option; older builds ignore the unknown fields. So both are sent.
// Model identity: GET /props names the file it loaded (model_path; with --models-dir, /props?model=<id> asks that
// model's instance), and the node hashes that file when it is on this host.
import { createFileDigest, type FileDigest } from './fileDigest.ts'
import { createOpenAICompatibleBackend } from './openaiCompatible.ts'
import type { Backend, HttpBackendParameters } from './types.ts'

export function createLlamacppBackend(parameters: HttpBackendParameters & { fileDigest?: FileDigest | undefined } = {}): Backend {
  const fileDigest = parameters.fileDigest ?? createFileDigest()
  return createOpenAICompatibleBackend({
    ...parameters,
    kind: 'llamacpp',
    defaultBaseUrl: 'http://127.0.0.1:8080',
    healthPath: '/health',
    continueFinalFields: { continue_final_message: true, add_generation_prompt: false },
    describeModels: (models, get, options) =>
      Promise.all(
        models.map(async (m) => {
          const path = models.length === 1 ? '/props' : `/props?model=${encodeURIComponent(m.backendId)}`
          const props = (await get(path, options).catch(() => undefined)) as { model_path?: unknown } | undefined
          const digest = typeof props?.model_path === 'string' ? await fileDigest(props.model_path) : undefined
          return digest ? { ...m, digest } : m
        }),
      ),
  })
}
