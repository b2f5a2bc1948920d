// llama.cpp's llama-server: GET /health -> 200 {"status":"ok"} or 503 {"error":{"code":503,"message":
// "Loading model","type":"unavailable_error"}}; GET /v1/models (with meta.n_ctx per slot, meta.n_ctx_train and meta.size).
// In-stream errors arrive as an `error: {...}` SSE line. continueFinal: llama-server prefills a trailing
// assistant message by default (ggml-org/llama.cpp#13174, opt-out --no-prefill-assistant #13608), and newer
// builds also accept vLLM's `continue_final_message` + `add_generation_prompt: false` (#23012), which then
// prefill regardless of that option; older builds ignore the unknown fields. So both are sent.
// Model identity: the node hashes the weights file when it is on this host. One model: GET /props names it
// (model_path). With --models-dir each listed model carries the command line of its instance (status.args,
// `--model <path>`) whether it runs or not, so no model is loaded just to be named.
// Features (tools, vision, ...) come from the same /props (llamacppProps.ts); with --models-dir only a running
// model's, since /props?model= starts the model it names (measured): one not running yet is announced as plain
// text chat until the capability is made again while it runs.
// Structured output (measured on the build test/helpers/engine builds, issue 17): a named tool_choice is ignored
// (auto instead), so the named tool is sent alone with tool_choice "required", which is what it means; a bare
// json_object response format is not constrained while json_schema {type: object} is, so the one becomes the other;
// tools with a stream and logprobs answer 400, so that combination is refused here, naming the fields.
import { BackendError } from '../errors/backend.ts'
import { createFileDigest, type FileDigest } from './fileDigest.ts'
import { llamacppFeatures, llamacppModelPath, type LlamacppProps } from './llamacppProps.ts'
import { createOpenAICompatibleBackend } from './openaiCompatible.ts'
import type { Backend, HttpBackendParameters, ModelInfo, RequestOptions } from './types.ts'
import type { ListedModel } from './openaiCompatible.ts'

type Get = (path: string, options?: RequestOptions) => Promise<unknown>

/**
 * The model's /props: a single-model server's /props is about its one model; a router's (--models-dir) is asked
 * per model, and only for a model already running, since asking starts an unloaded one.
 */
async function propsOf(info: ModelInfo, listed: ListedModel, get: Get, options?: RequestOptions): Promise<LlamacppProps | undefined> {
  if (listed.status && listed.status.value !== 'loaded') return undefined
  return (await get(listed.status ? `/props?model=${encodeURIComponent(info.backendId)}` : '/props', options).catch(() => undefined)) as LlamacppProps | undefined
}

/** The weights file: a router's entry names it in its instance's command line (status.args, `--model <path>`), loaded or not. */
function argsModelPath(listed: ListedModel): string | undefined {
  const args = listed.status?.args
  const i = args ? args.findIndex((a) => a === '--model' || a === '-m') : -1
  return args && i >= 0 && typeof args[i + 1] === 'string' ? args[i + 1] : undefined
}

/** Pure: an OpenAI body in llama-server's dialect (see the header). */
export function toLlamacppBody(body: Record<string, unknown>): Record<string, unknown> {
  const out = { ...body }
  const choice = out.tool_choice as { type?: string; function?: { name?: string } } | string | undefined
  if (typeof choice === 'object' && choice?.function?.name) {
    const name = choice.function.name
    out.tools = ((out.tools as { function?: { name?: string } }[] | undefined) ?? []).filter((t) => t.function?.name === name)
    out.tool_choice = 'required'
  }
  const format = out.response_format as { type?: string } | undefined
  if (format?.type === 'json_object') out.response_format = { type: 'json_schema', json_schema: { name: 'json_object', schema: { type: 'object' } } }
  if ((out.tools as unknown[] | undefined)?.length && out.logprobs) {
    throw new BackendError({ reason: 'bad-request', backend: 'llamacpp', details: 'llama-server cannot stream logprobs with tools: send one or the other' })
  }
  return out
}

export function createLlamacppBackend(parameters: HttpBackendParameters & { fileDigest?: FileDigest | undefined } = {}): Backend {
  const fileDigest = parameters.fileDigest ?? createFileDigest()
  return createOpenAICompatibleBackend({
    ...parameters,
    kind: 'llamacpp',
    defaultBaseUrl: 'http://127.0.0.1:8080',
    healthPath: '/health',
    continueFinalFields: { continue_final_message: true, add_generation_prompt: false },
    adaptBody: toLlamacppBody,
    describeModels: (models, get, options) =>
      Promise.all(
        models.map(async ({ info, listed }) => {
          const props = await propsOf(info, listed, get, options)
          const digest = await fileDigest(argsModelPath(listed) ?? llamacppModelPath(props) ?? '')
          const features = llamacppFeatures(props)
          return { ...info, ...(digest ? { digest } : {}), ...(features ? { features } : {}) }
        }),
      ),
  })
}
