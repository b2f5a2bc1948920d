// The generation parameters of one job: the `params` object of the job payload (nips/job-request.md), encrypted
// with it. Fields carry OpenAI Chat Completions names and meanings; any other field the client sent travels along
// untouched. The one object goes from the SDK (and the gateway, which parses an OpenAI request into it) through
// the job request to the node's backend adapter, which alone translates it into its engine's dialect.
// A new OpenAI field is added to `generationFields`, with its bounds. The OpenAI-compatible adapter sends every
// field as it is; an adapter that renames fields keys its table by `GenerationField` (Ollama's), so the compiler
// asks it about the new one.
import { z } from 'zod'
import { functionName } from './chatMessage.ts'
import { maxTools } from './limits.ts'

/** A JSON schema for an object: what a function's `parameters` and a json_schema response format must be. */
export const objectSchema = z
  .record(z.string(), z.unknown())
  .refine((s) => s.type === 'object', 'must be a JSON schema of type "object"')

export const toolDefinition = z.object({
  type: z.literal('function'),
  function: z.object({
    name: functionName,
    description: z.string().max(8192).optional(),
    /** Omitted: the function takes no arguments. */
    parameters: objectSchema.optional(),
    strict: z.boolean().nullable().optional(),
  }),
})
export type ToolDefinition = z.infer<typeof toolDefinition>

export const toolChoice = z.union([
  z.enum(['auto', 'none', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: functionName }) }),
])
export type ToolChoice = z.infer<typeof toolChoice>

export const responseFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
      description: z.string().max(8192).optional(),
      schema: objectSchema.optional(),
      strict: z.boolean().nullable().optional(),
    }),
  }),
])
export type ResponseFormat = z.infer<typeof responseFormat>

const penalty = z.number().min(-2).max(2)

/** The fields the network names and bounds. */
export const generationFields = z.object({
  max_tokens: z.number().int().positive().max(1_000_000).optional(),
  /** OpenAI's newer name for max_tokens; a node bounds a job by the smaller of the two. */
  max_completion_tokens: z.number().int().positive().max(1_000_000).optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  stop: z.array(z.string()).max(16).optional(),
  seed: z.number().int().optional(),
  /**
   * A job is one completion. OpenAI's n > 1 is n jobs (the gateway splits it, each routed and paid on its own); an
   * engine asked for n choices would interleave them on the job's one stream.
   */
  n: z
    .number()
    .int()
    .refine((n) => n === 1, 'a job is one completion: for n choices send n jobs (the gateway splits n itself)')
    .optional(),
  presence_penalty: penalty.optional(),
  frequency_penalty: penalty.optional(),
  /** Token id (decimal string) -> bias in [-100, 100]. */
  logit_bias: z
    .record(z.string().regex(/^\d{1,9}$/), z.number().min(-100).max(100))
    .refine((b) => Object.keys(b).length <= 1024, 'at most 1024 biased tokens')
    .optional(),
  tools: z.array(toolDefinition).max(maxTools).optional(),
  tool_choice: toolChoice.optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: responseFormat.optional(),
  logprobs: z.boolean().optional(),
  top_logprobs: z.number().int().min(0).max(20).optional(),
  reasoning_effort: z.enum(['none', 'minimal', 'low', 'medium', 'high']).optional(),
  /** Accepted, and not sent to an engine: the caller's own labels, no business of the node's. */
  user: z.string().max(256).optional(),
  metadata: z
    .record(z.string().max(64), z.string().max(512))
    .refine((m) => Object.keys(m).length <= 16, 'at most 16 metadata entries')
    .optional(),
})
export type GenerationFields = z.infer<typeof generationFields>
/** A named field: the key of an adapter's translation table. */
export type GenerationField = keyof GenerationFields

/** The named fields plus pass-through ones (unknown OpenAI fields, engine options such as top_k or num_ctx). */
export const generationParams = generationFields.catchall(z.unknown())
export type GenerationParams = z.infer<typeof generationParams>

/**
 * Fields whose answer only a version 2 job can carry (tool calls, logprobs): a version 1 job naming one is refused,
 * since its text-only stream would drop the answer in silence.
 */
export const structuredOutputFields = ['tools', 'tool_choice', 'parallel_tool_calls', 'logprobs', 'top_logprobs'] as const satisfies readonly GenerationField[]

/** Fields that are the caller's own and go to no engine. */
export const callerOnlyFields = ['user', 'metadata'] as const satisfies readonly GenerationField[]

/** Whether `params` asks for output only a version 2 job carries. */
export function needsStructuredOutput(params: GenerationParams | undefined): boolean {
  return structuredOutputFields.some((f) => params?.[f] !== undefined)
}

/**
 * The parameters of choice `i` of a request for several (OpenAI's `n`, which is that many jobs): the same, the seed
 * (when given) shifted by i, so seeded choices differ and each is reproducible. Choice 0 is the request's own.
 */
export function choiceParams(params: GenerationParams, i: number): GenerationParams {
  return { ...params, ...(typeof params.seed === 'number' ? { seed: params.seed + i } : {}) }
}

/** The output bound a job names: the smaller of max_tokens and max_completion_tokens. */
export function maxOutputTokens(params: GenerationParams | undefined): number | undefined {
  const a = params?.max_tokens
  const b = params?.max_completion_tokens
  return a === undefined ? b : b === undefined ? a : Math.min(a, b)
}

const named: ReadonlySet<string> = new Set(generationFields.keyof().options)

/** The named fields and the pass-through rest, for an adapter that places the two differently. */
export function splitGenerationParams(params: GenerationParams): { fields: GenerationFields; extra: Record<string, unknown> } {
  const fields: Record<string, unknown> = {}
  const extra: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue
    if (named.has(k)) fields[k] = v
    else extra[k] = v
  }
  return { fields: fields as GenerationFields, extra }
}
