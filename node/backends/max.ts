// Modular MAX (`max serve`): OpenAI routes /v1/chat/completions, /v1/models and /v1/health (see
// docs.modular.com/max/cli/serve: with MAX_SERVE_API_TYPES=openai the server exposes those routes).
// A trailing assistant message is sent as-is.
import { createOpenAICompatibleBackend } from './openaiCompatible.ts'
import type { Backend, HttpBackendParameters } from './types.ts'

export function createMaxBackend(parameters: HttpBackendParameters = {}): Backend {
  return createOpenAICompatibleBackend({ ...parameters, kind: 'max', defaultBaseUrl: 'http://127.0.0.1:8000', healthPath: '/v1/health' })
}
