// What a model on a node can do beyond plain text, as its capability announces it (nips/capability.md,
// "Features"), and what a chat request needs of it. Pure: the SDK and the coordinator both route by these rules,
// so a request that asks for tools never reaches an engine that would drop them without a word.
import { z } from 'zod'

/**
 * The features a router knows. `chat` is a chat model at all (an embedding-only model lacks it); the others are
 * what OpenAI's Chat Completions request fields ask of a model. A feature is announced only when the engine says
 * it (or, for engine-wide abilities, when every model of that engine has it).
 */
export const modelFeatures = ['chat', 'tools', 'vision', 'json_schema', 'logprobs', 'reasoning', 'embeddings'] as const
export type ModelFeature = (typeof modelFeatures)[number]

/**
 * One entry of a model's `features`. Any short lowercase token parses, not only the known ones: a node newer than
 * this code may announce a feature it does not know, and refusing the whole capability for it would drop the node.
 * Routing only ever asks for known features, so an unknown one is never needed and never gets in the way.
 */
export const featureName = z.string().regex(/^[a-z0-9_]{1,32}$/)
export const featureList = z.array(featureName).max(32)

/**
 * What a model without `features` (a node from before the field) is taken to support: plain text chat and nothing
 * else. Such a node's job payload carries only text, so a tool call or a schema it were sent would be lost.
 */
export const assumedFeatures: readonly ModelFeature[] = ['chat']

/** The features a model supports by its capability entry (`features` absent: `assumedFeatures`; no entry: none). */
export function featuresOf(model: { features?: readonly string[] | undefined } | undefined): readonly string[] {
  if (model === undefined) return []
  return model.features ?? assumedFeatures
}

/** The required features the model lacks, in the order asked; empty when it serves the request. */
export function missingFeatures(model: { features?: readonly string[] | undefined } | undefined, required: readonly ModelFeature[]): ModelFeature[] {
  if (required.length === 0) return []
  const has = featuresOf(model)
  return required.filter((f) => !has.includes(f))
}

/** The request field that asks for each feature: the `param` of an OpenAI-shaped 400 naming it. */
export const featureParam: Record<ModelFeature, string> = {
  chat: 'model',
  tools: 'tools',
  vision: 'messages',
  json_schema: 'response_format',
  logprobs: 'logprobs',
  reasoning: 'reasoning_effort',
  embeddings: 'model',
}

/** A chat request as the job payload carries it: OpenAI-named params (unknown fields kept) and messages whose content may be parts. */
export type FeatureRequest = {
  messages: readonly { content?: unknown; tool_calls?: unknown; role?: unknown }[]
  params?: Readonly<Record<string, unknown>> | undefined
}

const present = (v: unknown) => v !== undefined && v !== null

/** Any image part in a message's content: OpenAI's `image_url`, and `input_image` as the Responses API names it. */
function hasImage(content: unknown): boolean {
  if (!Array.isArray(content)) return false
  return content.some((part) => typeof part === 'object' && part !== null && ['image_url', 'input_image'].includes((part as { type?: unknown }).type as string))
}

/**
 * The features a chat request needs, by OpenAI's field names: `tools` or `tool_choice` (or tool turns in the
 * history) -> tools; an image part -> vision; `response_format` json_schema -> json_schema; `logprobs: true` or
 * `top_logprobs` -> logprobs; `reasoning_effort` (but "none") or `reasoning` -> reasoning. Always `chat` first.
 * `tool_choice: "none"` with no tools asks for nothing; `response_format` json_object is plain JSON mode, which every chat engine offers.
 */
export function requiredFeatures({ messages, params = {} }: FeatureRequest): ModelFeature[] {
  const out: ModelFeature[] = ['chat']
  const tools = params.tools
  const toolTurns = messages.some((m) => m.role === 'tool' || (Array.isArray(m.tool_calls) && m.tool_calls.length > 0))
  if ((Array.isArray(tools) && tools.length > 0) || (present(params.tool_choice) && params.tool_choice !== 'none') || toolTurns) out.push('tools')
  if (messages.some((m) => hasImage(m.content))) out.push('vision')
  const format = params.response_format
  if (typeof format === 'object' && format !== null && (format as { type?: unknown }).type === 'json_schema') out.push('json_schema')
  if (params.logprobs === true || (typeof params.top_logprobs === 'number' && params.top_logprobs > 0)) out.push('logprobs')
  if ((present(params.reasoning_effort) && params.reasoning_effort !== 'none') || present(params.reasoning)) out.push('reasoning')
  return out
}
