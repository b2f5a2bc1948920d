// What llama.cpp's llama-server says about the model it serves, from GET /props (per model with --models-dir:
// /props?model=<id>). Confirmed on the pinned build (b1-80fb11a, tools/server/README.md "GET /props"):
//   {"default_generation_settings":{"params":{..},"n_ctx":1024},"total_slots":2,"model_alias","model_path",
//    "modalities":{"vision":false,"video":false,"audio":false},
//    "chat_template":"..","chat_template_caps":{"supports_tools":false,"supports_tool_calls":false,
//      "supports_parallel_tool_calls":false,"supports_reasoning_effort":false,"supports_system_role":true,..},
//    "build_info":"b1-80fb11a",..}
// The template's caps decide tools: measured on that build, a template that cannot render tools (ChatML without a
// tools block) answers a `tools` request 200 with plain text, the tools silently left out of the prompt, while a
// template that renders them (Qwen 2.5's) takes them in. JSON schemas (grammar sampling) and logprobs (n_probs) are
// the server's own, for every model. Embeddings need --embeddings, which /props does not tell: not announced.
// Pure: llamacpp.ts fetches, this reads.
import type { ModelFeature } from '../../src/protocol/features.ts'

export type LlamacppProps = {
  model_path?: unknown
  modalities?: { vision?: unknown } | undefined
  chat_template?: unknown
  chat_template_caps?: { supports_tools?: unknown; supports_reasoning_effort?: unknown } | undefined
  default_generation_settings?: { n_ctx?: unknown } | undefined
}

/** The model's features by its /props answer; undefined when the answer is not a server's props (no chat template field). */
export function llamacppFeatures(props: LlamacppProps | undefined): ModelFeature[] | undefined {
  if (!props || typeof props.chat_template !== 'string') return undefined
  const caps = props.chat_template_caps
  const out: ModelFeature[] = ['chat']
  if (caps?.supports_tools === true) out.push('tools')
  if (props.modalities?.vision === true) out.push('vision')
  out.push('json_schema', 'logprobs')
  if (caps?.supports_reasoning_effort === true) out.push('reasoning')
  return out
}

/** The weights file the server loaded, when it names one. */
export function llamacppModelPath(props: LlamacppProps | undefined): string | undefined {
  return typeof props?.model_path === 'string' && props.model_path !== 'none' ? props.model_path : undefined
}
