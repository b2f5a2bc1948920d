// Translation between a job and Ollama's /api/chat (docs/api.md, "Chat"), both ways, in one place:
//   request: tools as OpenAI writes them; `format` "json" or a JSON schema (response_format); images as bare base64
//   per message (from data: URLs); `think` (reasoning_effort); top-level `logprobs` / `top_logprobs`; history tool
//   calls with their arguments as an object, and a tool message naming its function (`tool_name`), not a call id.
//   response: `message.thinking`, `message.tool_calls` as whole objects ({function: {name, arguments: {...}}}),
//   `logprobs` per record. Ollama sends each call whole, so each becomes one OpenAI-style fragment.
// What Ollama cannot do (a required or named tool_choice, logit_bias) is refused, never dropped. Pure.
import { randomBytes } from 'node:crypto'
import { messageImages, messageText, type ChatMessage } from '../../src/protocol/chatMessage.ts'
import { splitGenerationParams, type GenerationField } from '../../src/protocol/generationParams.ts'
import type { ToolCallFragment, TokenLogprob } from '../../src/protocol/streamDelta.ts'
import { BackendError } from '../errors/backend.ts'
import type { ChatRequest } from './types.ts'

/** Where each named field goes: an `options` entry, the body's top level, or nowhere (handled below, or the caller's own). */
const placement = {
  max_tokens: { option: 'num_predict' },
  max_completion_tokens: { option: 'num_predict' },
  temperature: { option: 'temperature' },
  top_p: { option: 'top_p' },
  stop: { option: 'stop' },
  seed: { option: 'seed' },
  // Always 1 (generationParams.ts): Ollama's one reply per request.
  n: { special: true },
  presence_penalty: { option: 'presence_penalty' },
  frequency_penalty: { option: 'frequency_penalty' },
  logprobs: { top: 'logprobs' },
  top_logprobs: { top: 'top_logprobs' },
  tools: { special: true },
  tool_choice: { special: true },
  parallel_tool_calls: { special: true },
  response_format: { special: true },
  reasoning_effort: { special: true },
  logit_bias: { special: true },
  user: { special: true },
  metadata: { special: true },
} as const satisfies Record<GenerationField, { option: string } | { top: string } | { special: true }>

const refuse = (details: string) => new BackendError({ reason: 'bad-request', backend: 'ollama', details })

/** The base64 body of a data: URL (the protocol admits no other image URL). */
function base64Of(url: string): string {
  return url.slice(url.indexOf(',') + 1)
}

function parseArguments(args: string, where: string): unknown {
  try {
    return JSON.parse(args || '{}')
  } catch {
    throw refuse(`${where}: Ollama takes tool-call arguments as a JSON object, and these are not JSON`)
  }
}

/** The messages in Ollama's shape. */
export function toOllamaMessages(messages: readonly ChatMessage[]): Record<string, unknown>[] {
  const names = new Map<string, string>()
  return messages.map((m, i) => {
    const out: Record<string, unknown> = { role: m.role, content: messageText(m) }
    const images = messageImages(m).map(base64Of)
    if (images.length) out.images = images
    if ('tool_calls' in m && m.tool_calls) {
      out.tool_calls = m.tool_calls.map((c) => {
        names.set(c.id, c.function.name)
        return { function: { name: c.function.name, arguments: parseArguments(c.function.arguments, `messages[${i}].tool_calls`) } }
      })
    }
    if ('tool_call_id' in m && m.tool_call_id) {
      const name = names.get(m.tool_call_id)
      if (name) out.tool_name = name
    }
    return out
  })
}

/** Pure: our request -> the /api/chat body. */
export function toOllamaChatBody(request: ChatRequest): Record<string, unknown> {
  const { fields, extra } = splitGenerationParams(request.params ?? {})
  const options: Record<string, unknown> = { ...extra }
  const body: Record<string, unknown> = { model: request.model, messages: toOllamaMessages(request.messages), stream: true }
  for (const [name, value] of Object.entries(fields) as [GenerationField, unknown][]) {
    const where = placement[name] as { option?: string; top?: string }
    if (where.option) options[where.option] = name === 'max_tokens' || name === 'max_completion_tokens' ? Math.min(value as number, (options[where.option] as number | undefined) ?? Infinity) : value
    else if (where.top) body[where.top] = value
  }
  if (fields.logit_bias && Object.keys(fields.logit_bias).length > 0) throw refuse('Ollama has no logit_bias')
  const choice = fields.tool_choice
  if (choice !== undefined && choice !== 'auto' && choice !== 'none') throw refuse(`Ollama has no tool_choice ${typeof choice === 'string' ? `"${choice}"` : 'naming a function'}: only auto and none`)
  // tool_choice none: the model sees no tools.
  if (fields.tools?.length && choice !== 'none') body.tools = fields.tools
  if (fields.parallel_tool_calls === false) throw refuse('Ollama cannot limit a reply to one tool call (parallel_tool_calls: false)')
  const format = fields.response_format
  if (format?.type === 'json_object') body.format = 'json'
  else if (format?.type === 'json_schema') body.format = format.json_schema.schema ?? { type: 'object' }
  const effort = fields.reasoning_effort
  if (effort !== undefined) body.think = effort === 'none' ? false : effort === 'minimal' ? 'low' : effort
  if (Object.keys(options).length) body.options = options
  return body
}

export type OllamaToolCall = { id?: string; function?: { index?: number; name?: string; arguments?: unknown } }

/** Ollama's whole tool calls as fragments, numbered on from `next` (each call arrives once, complete). */
export function toolCallFragments(calls: readonly OllamaToolCall[], next: number, newId: () => string = () => `call_${randomBytes(12).toString('hex')}`): ToolCallFragment[] {
  return calls.map((c, i) => {
    const args = c.function?.arguments
    return { index: next + i, id: c.id || newId(), name: c.function?.name ?? '', arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) }
  })
}

type OllamaLogprob = { token?: string; logprob?: number; top_logprobs?: { token?: string; logprob?: number }[] }

export function toLogprobs(list: readonly OllamaLogprob[] | undefined): TokenLogprob[] {
  return (list ?? []).map((l) => ({
    token: l.token ?? '',
    logprob: l.logprob ?? 0,
    ...(l.top_logprobs ? { top_logprobs: l.top_logprobs.map((t) => ({ token: t.token ?? '', logprob: t.logprob ?? 0 })) } : {}),
  }))
}
