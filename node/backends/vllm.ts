// vLLM's OpenAI server: GET /health (200 empty body when ready), GET /version ({"version"}), GET /v1/models
// (with max_model_len). Continuing a partial assistant message uses vLLM's chat-template switches.
import { createOpenAICompatibleBackend } from './openaiCompatible.ts'
import type { Backend, HttpBackendParameters } from './types.ts'

export function createVllmBackend(parameters: HttpBackendParameters = {}): Backend {
  return createOpenAICompatibleBackend({
    ...parameters,
    kind: 'vllm',
    defaultBaseUrl: 'http://127.0.0.1:8000',
    healthPath: '/health',
    versionPath: '/version',
    continueFinalFields: { continue_final_message: true, add_generation_prompt: false },
    // Structured outputs (response_format json_schema) and logprobs serve every model; tools need a tool-call parser
    // and images a vision model, neither of which the server reports (INFERNET_FEATURES declares them).
    engineFeatures: ['chat', 'json_schema', 'logprobs'],
  })
}
