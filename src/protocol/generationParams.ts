// The generation parameters of one job: the `params` object of the job payload (nips/job-request.md), encrypted
// with it. Fields carry OpenAI Chat Completions names and meanings; any other field the client sent travels along
// untouched. The one object goes from the SDK (and the gateway, which parses an OpenAI request into it) through
// the job request to the node's backend adapter, which alone translates it into its engine's dialect.
// A new OpenAI field (tools, response_format, logprobs, n, penalties, logit_bias, reasoning, ...) is added to
// `generationFields`, with its bounds. The OpenAI-compatible adapter sends every field as it is; an adapter that
// renames fields keys its table by `GenerationField` (Ollama's), so the compiler asks it about the new one.
import { z } from 'zod'

/** The fields the network names and bounds. */
export const generationFields = z.object({
  max_tokens: z.number().int().positive().max(1_000_000).optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  stop: z.array(z.string()).max(16).optional(),
  seed: z.number().int().optional(),
})
export type GenerationFields = z.infer<typeof generationFields>
/** A named field: the key of an adapter's translation table. */
export type GenerationField = keyof GenerationFields

/** The named fields plus pass-through ones (unknown OpenAI fields, engine options such as top_k or num_ctx). */
export const generationParams = generationFields.catchall(z.unknown())
export type GenerationParams = z.infer<typeof generationParams>

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
