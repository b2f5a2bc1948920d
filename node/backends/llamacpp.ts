// llama.cpp's llama-server: GET /health -> 200 {"status":"ok"} or 503 {"error":{"code":503,"message":
// "Loading model","type":"unavailable_error"}}; GET /v1/models (with meta.n_ctx_train and meta.size).
// In-stream errors arrive as an `error: {...}` SSE line. llama-server treats a trailing assistant message
// as a prefill and continues it, so continueFinal needs no extra field.
import { createOpenAICompatibleBackend } from './openaiCompatible.ts'
import type { Backend, HttpBackendParameters } from './types.ts'

export function createLlamacppBackend(parameters: HttpBackendParameters = {}): Backend {
  return createOpenAICompatibleBackend({ ...parameters, kind: 'llamacpp', defaultBaseUrl: 'http://127.0.0.1:8080', healthPath: '/health' })
}
