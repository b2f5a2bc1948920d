// Pure: an OpenAI request's messages and structured-output fields into the job's shapes (src/protocol/chatMessage.ts,
// generationParams.ts), each refusal a 400 naming the parameter as OpenAI names it (`messages[2].tool_call_id`,
// `tools[0].function.parameters`). The protocol's own schemas decide what is valid, so the gateway refuses exactly
// what a node would. Remote image URLs were fetched and inlined before (remoteImages.ts): the node never fetches one.
import type { z } from 'zod'
import { chatMessageV2, type ChatMessage } from '../../protocol/chatMessage.ts'
import { generationFields, type GenerationParams } from '../../protocol/generationParams.ts'
import { maxTools } from '../../protocol/limits.ts'
import { errors } from '../errors.ts'

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `a.b[0].c` from a zod path below `prefix`. */
function paramOf(prefix: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, k) => (typeof k === 'number' ? `${out}[${k}]` : `${out}.${String(k)}`), prefix)
}

/** The first issue of a zod error as the parameter it names below `prefix` and its message. */
export function firstIssue(error: z.ZodError, prefix: string): { param: string; message: string } {
  const issue = error.issues[0]!
  return { param: paramOf(prefix, issue.path), message: issue.message }
}

/** A content part as the protocol carries it: text as is, an image only inline. */
function contentPart(part: unknown, where: string): unknown {
  if (!isObject(part)) throw errors.invalidRequest(`${where} must be an object`, where)
  if (part.type === 'text') return { type: 'text', text: part.text }
  if (part.type === 'image_url') {
    const image = part.image_url
    const url = typeof image === 'string' ? image : isObject(image) ? image.url : undefined
    const detail = isObject(image) && typeof image.detail === 'string' ? { detail: image.detail } : {}
    return { type: 'image_url', image_url: { url, ...detail } }
  }
  throw errors.invalidRequest(`${where}: only text and image_url parts are supported`, `${where}.type`)
}

/** One OpenAI message as a v2 message (developer becomes system; OpenAI's null and absent content both read). */
function message(m: unknown, i: number): ChatMessage {
  const where = `messages[${i}]`
  if (!isObject(m)) throw errors.invalidRequest(`${where} must be an object`, where)
  const role = m.role === 'developer' ? 'system' : m.role
  if (typeof role !== 'string' || !['system', 'user', 'assistant', 'tool'].includes(role)) {
    throw errors.invalidRequest(`${where}.role must be one of system, developer, user, assistant, tool`, `${where}.role`)
  }
  const toolCalls = Array.isArray(m.tool_calls) && m.tool_calls.length > 0 ? m.tool_calls : undefined
  let content = m.content
  if (content === undefined || content === null) content = role === 'assistant' && toolCalls ? null : ''
  else if (Array.isArray(content)) {
    const parts = content.map((p, j) => contentPart(p, `${where}.content[${j}]`)) as { type: string; text?: unknown }[]
    // Text parts alone are text: the job stays version 1, which every node serves.
    content = parts.every((p) => p.type === 'text' && typeof p.text === 'string') ? parts.map((p) => p.text).join('') : parts
  }
  else if (typeof content !== 'string') throw errors.invalidRequest(`${where}.content must be a string or an array of content parts`, `${where}.content`)
  const out: Record<string, unknown> = { role, content }
  if (toolCalls) out.tool_calls = toolCalls.map((c: unknown) => (isObject(c) ? { id: c.id, type: c.type ?? 'function', function: c.function } : c))
  if (m.tool_call_id !== undefined && m.tool_call_id !== null) out.tool_call_id = m.tool_call_id
  if (typeof m.name === 'string') out.name = m.name
  const parsed = chatMessageV2.safeParse(out)
  if (!parsed.success) {
    const { param, message } = firstIssue(parsed.error, where)
    throw errors.invalidRequest(`${param}: ${message}`, param)
  }
  return parsed.data
}

export function fromChatMessages(messages: unknown): ChatMessage[] {
  if (!Array.isArray(messages) || messages.length === 0) throw errors.invalidRequest('messages must be a non-empty array', 'messages')
  if (messages.length > 1024) throw errors.invalidRequest('at most 1024 messages are supported', 'messages')
  return messages.map(message)
}

/** The structured-output fields this gateway checks against the protocol's bounds before any job exists. */
const checked = ['tools', 'tool_choice', 'parallel_tool_calls', 'response_format', 'logprobs', 'top_logprobs', 'presence_penalty', 'frequency_penalty', 'logit_bias', 'reasoning_effort', 'user', 'metadata'] as const

/** Checks the named fields in `params` (null read as absent, as OpenAI does); a 400 naming the first bad one. */
export function checkStructuredFields(params: GenerationParams): void {
  for (const f of checked) if (params[f] === null) delete params[f]
  const tools = params.tools
  if (Array.isArray(tools) && tools.length > maxTools) throw errors.invalidRequest(`tools: at most ${maxTools} tools are supported, got ${tools.length}`, 'tools')
  const picked = Object.fromEntries(checked.filter((f) => params[f] !== undefined).map((f) => [f, params[f]]))
  const parsed = generationFields.safeParse(picked)
  if (!parsed.success) {
    const { param, message } = firstIssue(parsed.error, '')
    const name = param.replace(/^\./, '')
    throw errors.invalidRequest(`${name}: ${message}`, name)
  }
  Object.assign(params, parsed.data)
}
