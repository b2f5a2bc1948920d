// SGLang's server: GET /health (200 when ready), GET /v1/models, GET /get_model_info ({"model_path",
// "tokenizer_path", "is_generation"}) as the fallback model source. Same continue-final switches as vLLM.
import { createOpenAICompatibleBackend } from './openaiCompatible.ts'
import type { Backend, HttpBackendParameters } from './types.ts'

export function createSglangBackend(parameters: HttpBackendParameters = {}): Backend {
  return createOpenAICompatibleBackend({
    ...parameters,
    kind: 'sglang',
    defaultBaseUrl: 'http://127.0.0.1:30000',
    healthPath: '/health',
    continueFinalFields: { continue_final_message: true, add_generation_prompt: false },
    // Structured outputs (response_format json_schema) and logprobs serve every model; tools need a tool-call parser
    // and images a vision model, neither of which the server reports (INFERNET_FEATURES declares them).
    engineFeatures: ['chat', 'json_schema', 'logprobs'],
    fallbackModels: async (get, options) => {
      const info = (await get('/get_model_info', options)) as { model_path?: string }
      return info.model_path ? [{ id: info.model_path, backendId: info.model_path, loaded: true }] : []
    },
  })
}
