// llama.cpp's llama-server: GET /health -> 200 {"status":"ok"} or 503 {"error":{"code":503,"message":
// "Loading model","type":"unavailable_error"}}; GET /v1/models (with meta.n_ctx per slot, meta.n_ctx_train and meta.size).
// In-stream errors arrive as an `error: {...}` SSE line. continueFinal: llama-server prefills a trailing
// assistant message by default (ggml-org/llama.cpp#13174, opt-out --no-prefill-assistant #13608), and newer
// builds also accept vLLM's `continue_final_message` + `add_generation_prompt: false` (#23012), which then
// prefill regardless of that option; older builds ignore the unknown fields. So both are sent.
import { createOpenAICompatibleBackend } from './openaiCompatible.ts'
import type { Backend, HttpBackendParameters } from './types.ts'

export function createLlamacppBackend(parameters: HttpBackendParameters = {}): Backend {
  return createOpenAICompatibleBackend({
    ...parameters,
    kind: 'llamacpp',
    defaultBaseUrl: 'http://127.0.0.1:8080',
    healthPath: '/health',
    continueFinalFields: { continue_final_message: true, add_generation_prompt: false },
  })
}
