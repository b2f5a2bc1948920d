// Pure: an OpenAI Responses API request (POST /v1/responses) as the same chat job /v1/chat/completions sends, translated
// once here at the boundary. `instructions` becomes the system message; `input` items become messages (a message's
// input_text / output_text / input_image parts, a function_call as the assistant's tool call, a function_call_output
// as the tool message answering it); flat function tools become Chat Completions tools; `text.format` becomes
// response_format; `max_output_tokens` max_tokens. The gateway is stateless: what needs a stored response or
// conversation (previous_response_id, conversation, item_reference, background, prompt templates) is a 400 saying so.
// `store` is accepted (the API defaults it to true and SDKs send it) and every response is answered `store: false`.
// Built-in tools (web_search, file_search, ...) run on OpenAI's servers, not on a node: a 400 naming the tool's type.
import type { z } from 'zod'
import { checkImageUrl, chatMessageV2, toolCall, type ChatMessage, type ToolCall } from '../../protocol/chatMessage.ts'
import { generationFields, responseFormat, toolDefinition, type GenerationParams } from '../../protocol/generationParams.ts'
import { maxTools } from '../../protocol/limits.ts'
import { errors } from '../errors.ts'
import { isObject } from '../http.ts'
import type { EndpointParams } from './network.ts'
import { optionalNumber, type GatewayChatRequest } from './openai.ts'
import { checkStructuredFields, firstIssue } from './openaiMessages.ts'

/** How /v1/responses names the Chat Completions fields an error may point at. */
export const responsesParams: EndpointParams = { messages: 'input', response_format: 'text.format', reasoning_effort: 'reasoning.effort', max_tokens: 'max_output_tokens' }

/** What the response object repeats of the request, in the Responses API's own shapes. */
export type ResponseEcho = {
  instructions: string | null
  tools: Record<string, unknown>[]
  tool_choice: unknown
  parallel_tool_calls: boolean
  temperature: number | null
  top_p: number | null
  max_output_tokens: number | null
  metadata: Record<string, string>
  user: string | undefined
  text: { format: Record<string, unknown> }
  reasoning: { effort: string | null; summary: null }
}

export type ResponsesRequest = GatewayChatRequest & { echo: ResponseEcho }

/** Fields that only make sense against stored state, and what to do instead. */
const stateful: Record<string, string> = {
  previous_response_id: 'this gateway is stateless and stores no responses: send the earlier turns (and the output items you got) as `input` instead',
  conversation: 'this gateway is stateless and keeps no conversations: send the whole conversation as `input` instead',
  prompt: 'this gateway stores no prompt templates: send the prompt as `instructions` and `input`',
  context_management: 'this gateway does not compact conversations: send the input you want the model to see',
  moderation: 'this gateway runs no moderation model on inputs or outputs',
}

/**
 * Accepted and not acted on, each for a reason: `store` (nothing is stored; answered store: false), `include` (the
 * extra data it names, encrypted reasoning and the like, is not produced here), `service_tier`, `prompt_cache_key`,
 * `prompt_cache_retention`, `prompt_cache_options`, `safety_identifier` (OpenAI's own scheduling, caching and abuse
 * signals) and `stream_options` (its one option, obfuscation padding, guards against a side channel of OpenAI's).
 */
const ignored = ['store', 'include', 'service_tier', 'prompt_cache_key', 'prompt_cache_retention', 'prompt_cache_options', 'safety_identifier', 'stream_options']

/** Fields read here; every other field passes through in `params` as on /v1/chat/completions (engine options). */
const handled = new Set([
  'model', 'input', 'instructions', 'tools', 'tool_choice', 'parallel_tool_calls', 'text', 'max_output_tokens', 'temperature', 'top_p', 'stream',
  'metadata', 'user', 'reasoning', 'background', 'truncation', 'top_logprobs', ...Object.keys(stateful), ...ignored,
])

const present = (v: unknown) => v !== undefined && v !== null

/** A zod failure as a 400 naming `prefix` plus the issue's path, with path segments renamed by `rename`. */
function invalid(error: z.ZodError, prefix: string, rename: (param: string) => string = (p) => p): never {
  const { param, message } = firstIssue(error, '')
  const named = prefix + rename(param)
  throw errors.invalidRequest(`${named}: ${message}`, named)
}

/** Refuses what needs stored state or a behaviour this gateway does not have. */
function refuseUnsupported(body: Record<string, unknown>): void {
  for (const [name, why] of Object.entries(stateful)) {
    const v = body[name]
    if (present(v) && !(Array.isArray(v) && v.length === 0)) throw errors.unsupported(`${name} is not supported: ${why}.`, name)
  }
  if (body.background === true) throw errors.unsupported('background is not supported: this gateway keeps no responses to poll; stream the response (stream: true) instead.', 'background')
  if (present(body.background) && typeof body.background !== 'boolean') throw errors.invalidRequest('background must be a boolean', 'background')
  if (body.truncation === 'auto') throw errors.unsupported("truncation 'auto' is not supported: input that does not fit the context is refused (truncation 'disabled'); shorten the input.", 'truncation', 'unsupported_value')
  if (present(body.truncation) && body.truncation !== 'disabled') throw errors.invalidRequest("truncation must be 'auto' or 'disabled'", 'truncation')
  if (present(body.top_logprobs) && body.top_logprobs !== 0) throw errors.unsupported('top_logprobs is not supported on /v1/responses: ask /v1/chat/completions with logprobs for token log probabilities.', 'top_logprobs')
  if (present(body.store) && typeof body.store !== 'boolean') throw errors.invalidRequest('store must be a boolean', 'store')
}

/** One content part of a message item as a protocol content part. */
function contentPart(part: unknown, where: string): { type: 'text'; text: unknown } | { type: 'image_url'; image_url: { url: string; detail?: string } } {
  if (!isObject(part)) throw errors.invalidRequest(`${where} must be an object`, where)
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: part.text }
    case 'refusal':
      return { type: 'text', text: part.refusal }
    case 'input_image': {
      if (present(part.file_id)) throw errors.unsupported(`${where}.file_id: this gateway stores no files; send the image inline as a data: URL in image_url.`, `${where}.file_id`, 'unsupported_value')
      if (typeof part.image_url !== 'string') throw errors.invalidRequest(`${where}.image_url must be a data: URL string`, `${where}.image_url`)
      const why = checkImageUrl(part.image_url)
      if (why) throw errors.invalidRequest(`${where}.image_url: ${why}`, `${where}.image_url`)
      // 'original' is the Responses API's own detail level; the protocol's are auto, low and high.
      const detail = part.detail === 'low' || part.detail === 'high' || part.detail === 'auto' ? { detail: part.detail } : {}
      return { type: 'image_url', image_url: { url: part.image_url, ...detail } }
    }
    default:
      throw errors.unsupported(`${where}.type: only input_text, output_text and input_image (as a data: URL) parts are supported, got ${JSON.stringify(part.type)}`, `${where}.type`, 'unsupported_value')
  }
}

/** A message item's content: a string, or parts (text parts alone joined into a string, so the job stays version 1). */
function messageContent(content: unknown, where: string): unknown {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) throw errors.invalidRequest(`${where}.content must be a string or an array of content parts`, `${where}.content`)
  const parts = content.map((p, j) => contentPart(p, `${where}.content[${j}]`))
  return parts.every((p) => p.type === 'text' && typeof p.text === 'string') ? parts.map((p) => (p as { text: string }).text).join('') : parts
}

/** A function_call item as the tool call an assistant message carries. */
function functionCall(item: Record<string, unknown>, where: string): ToolCall {
  const parsed = toolCall.safeParse({ id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } })
  if (!parsed.success) invalid(parsed.error, where, (p) => p.replace(/^\.id/, '.call_id').replace(/^\.function\./, '.'))
  return parsed.data
}

/** A function_call_output item's output as a tool message's text. */
function functionOutput(output: unknown, where: string): string {
  if (typeof output === 'string') return output
  if (!Array.isArray(output)) throw errors.invalidRequest(`${where}.output must be a string or an array of input_text parts`, `${where}.output`)
  return output
    .map((p, j) => {
      if (isObject(p) && p.type === 'input_text' && typeof p.text === 'string') return p.text
      throw errors.unsupported(`${where}.output[${j}]: a function's output is carried as text only (input_text parts)`, `${where}.output[${j}]`, 'unsupported_value')
    })
    .join('')
}

/** `input` (and `instructions` before it) as the job's messages. */
export function fromResponsesInput(input: unknown, instructions: string | undefined): ChatMessage[] {
  const out: { message: Record<string, unknown>; at: string }[] = []
  if (instructions !== undefined) out.push({ message: { role: 'system', content: instructions }, at: 'instructions' })
  if (typeof input === 'string') out.push({ message: { role: 'user', content: input }, at: 'input' })
  else if (Array.isArray(input)) {
    if (input.length > 1024) throw errors.invalidRequest('at most 1024 input items are supported', 'input')
    for (const [i, item] of input.entries()) {
      const where = `input[${i}]`
      if (!isObject(item)) throw errors.invalidRequest(`${where} must be an object`, where)
      const type = item.type ?? (item.role !== undefined ? 'message' : undefined)
      if (type === 'message') {
        const role = item.role === 'developer' ? 'system' : item.role
        if (role !== 'system' && role !== 'user' && role !== 'assistant') throw errors.invalidRequest(`${where}.role must be one of user, assistant, system, developer`, `${where}.role`)
        out.push({ message: { role, content: messageContent(item.content, where) }, at: where })
      } else if (type === 'function_call') {
        const call = functionCall(item, where)
        const last = out.at(-1)?.message
        // Calls the model made in one turn are one assistant message, after the text it wrote in that turn, if any.
        if (last?.role === 'assistant') last.tool_calls = [...((last.tool_calls as ToolCall[] | undefined) ?? []), call]
        else out.push({ message: { role: 'assistant', content: null, tool_calls: [call] }, at: where })
      } else if (type === 'function_call_output') {
        out.push({ message: { role: 'tool', tool_call_id: item.call_id, content: functionOutput(item.output, where) }, at: where })
      } else if (type === 'reasoning') {
        // An earlier turn's reasoning: chat templates drop it from past turns, and a job's messages carry none.
        continue
      } else if (type === 'item_reference') {
        throw errors.unsupported(`${where}: item_reference is not supported: this gateway stores no items; send the item itself.`, where)
      } else {
        throw errors.unsupported(`${where}.type: only message, function_call, function_call_output and reasoning items are supported, got ${JSON.stringify(type)}`, `${where}.type`, 'unsupported_value')
      }
    }
  } else if (input !== undefined && input !== null) throw errors.invalidRequest('input must be a string or an array of input items', 'input')
  if (!out.some((m) => m.at !== 'instructions')) throw errors.invalidRequest('input must be a non-empty string or array of input items', 'input')
  return out.map(({ message, at }) => {
    const parsed = chatMessageV2.safeParse(message)
    if (!parsed.success) invalid(parsed.error, at, (p) => p.replace(/^\.tool_call_id/, '.call_id'))
    return parsed.data
  })
}

/** Responses' flat function tools as Chat Completions tools; a built-in tool is a 400 naming its type. */
function fromTools(tools: unknown): { chat: unknown[]; echo: Record<string, unknown>[] } | undefined {
  if (!present(tools)) return undefined
  if (!Array.isArray(tools)) throw errors.invalidRequest('tools must be an array', 'tools')
  if (tools.length > maxTools) throw errors.invalidRequest(`tools: at most ${maxTools} tools are supported, got ${tools.length}`, 'tools')
  const chat: unknown[] = []
  const echo: Record<string, unknown>[] = []
  for (const [i, tool] of tools.entries()) {
    const where = `tools[${i}]`
    if (!isObject(tool)) throw errors.invalidRequest(`${where} must be an object`, where)
    if (tool.type !== 'function') {
      throw errors.unsupported(`${where}.type: the built-in tool ${JSON.stringify(tool.type)} runs on OpenAI's servers and no node runs it; only function tools are supported (run the tool yourself and return its output as function_call_output).`, `${where}.type`, 'unsupported_value')
    }
    const fn = { name: tool.name, ...(present(tool.description) ? { description: tool.description } : {}), ...(present(tool.parameters) ? { parameters: tool.parameters } : {}), ...(present(tool.strict) ? { strict: tool.strict } : {}) }
    const parsed = toolDefinition.safeParse({ type: 'function', function: fn })
    if (!parsed.success) invalid(parsed.error, where, (p) => p.replace(/^\.function\./, '.'))
    chat.push(parsed.data)
    echo.push({ type: 'function', name: fn.name, description: fn.description ?? null, parameters: fn.parameters ?? null, strict: fn.strict ?? null })
  }
  return { chat, echo }
}

/** Responses' tool_choice as Chat Completions': `{type:'function', name}` nests the name; built-in choices are refused. */
function fromToolChoice(choice: unknown): unknown {
  if (!isObject(choice)) return choice
  if (choice.type === 'function') return { type: 'function', function: { name: choice.name } }
  throw errors.unsupported(`tool_choice.type: only 'auto', 'none', 'required' and a function ({type:'function', name}) are supported, got ${JSON.stringify(choice.type)}`, 'tool_choice.type', 'unsupported_value')
}

/** `text.format` as response_format; `text.verbosity` is a hint the engines have no knob for, accepted and left out. */
function fromTextFormat(text: unknown): { chat: unknown; echo: Record<string, unknown> } | undefined {
  if (!present(text)) return undefined
  if (!isObject(text)) throw errors.invalidRequest('text must be an object', 'text')
  const format = text.format
  if (!present(format)) return undefined
  if (!isObject(format)) throw errors.invalidRequest('text.format must be an object', 'text.format')
  const chat =
    format.type === 'json_schema'
      ? {
          type: 'json_schema',
          json_schema: {
            name: format.name,
            ...(present(format.description) ? { description: format.description } : {}),
            ...(present(format.schema) ? { schema: format.schema } : {}),
            ...(present(format.strict) ? { strict: format.strict } : {}),
          },
        }
      : { type: format.type }
  const parsed = responseFormat.safeParse(chat)
  if (!parsed.success) invalid(parsed.error, 'text.format', (p) => p.replace(/^\.json_schema/, ''))
  return { chat: parsed.data, echo: format }
}

function fromReasoning(reasoning: unknown): string | undefined {
  if (!present(reasoning)) return undefined
  if (!isObject(reasoning)) throw errors.invalidRequest('reasoning must be an object', 'reasoning')
  if (!present(reasoning.effort)) return undefined
  const parsed = generationFields.shape.reasoning_effort.safeParse(reasoning.effort)
  if (!parsed.success) throw errors.invalidRequest("reasoning.effort must be one of 'none', 'minimal', 'low', 'medium', 'high'", 'reasoning.effort')
  return parsed.data
}

/** The caller's own labels: checked against the protocol's bounds, echoed back, sent to no node. */
function callerLabels(body: Record<string, unknown>): { metadata: Record<string, string>; user: string | undefined } {
  const metadata = generationFields.shape.metadata.safeParse(body.metadata ?? undefined)
  if (!metadata.success) invalid(metadata.error, 'metadata')
  const user = generationFields.shape.user.safeParse(body.user ?? undefined)
  if (!user.success) invalid(user.error, 'user')
  return { metadata: metadata.data ?? {}, user: user.data }
}

export function fromResponsesRequest(body: unknown): ResponsesRequest {
  if (!isObject(body)) throw errors.invalidRequest('the request body must be a JSON object')
  if (typeof body.model !== 'string' || body.model === '') throw errors.invalidRequest('you must provide a model parameter', 'model')
  refuseUnsupported(body)
  if (present(body.stream) && typeof body.stream !== 'boolean') throw errors.invalidRequest('stream must be a boolean', 'stream')
  if (present(body.instructions) && typeof body.instructions !== 'string') throw errors.invalidRequest('instructions must be a string', 'instructions')
  const instructions = typeof body.instructions === 'string' ? body.instructions : undefined
  const messages = fromResponsesInput(body.input, instructions)
  const tools = fromTools(body.tools)
  const format = fromTextFormat(body.text)
  const effort = fromReasoning(body.reasoning)
  const labels = callerLabels(body)
  const params: GenerationParams = {}
  for (const [k, v] of Object.entries(body)) if (!handled.has(k)) params[k] = v
  const named: Record<string, unknown> = {
    max_tokens: optionalNumber(body, 'max_output_tokens', { min: 1, max: 1_000_000, integer: true }),
    temperature: optionalNumber(body, 'temperature', { min: 0, max: 2 }),
    top_p: optionalNumber(body, 'top_p', { min: 0, max: 1 }),
    tools: tools?.chat,
    tool_choice: present(body.tool_choice) ? fromToolChoice(body.tool_choice) : undefined,
    parallel_tool_calls: body.parallel_tool_calls ?? undefined,
    // A plain-text format asks nothing of a node: left out, so the job needs no json_schema feature.
    response_format: format && (format.chat as { type: string }).type !== 'text' ? format.chat : undefined,
    reasoning_effort: effort,
  }
  for (const [k, v] of Object.entries(named)) if (v !== undefined) params[k] = v
  checkStructuredFields(params)
  return {
    model: body.model,
    messages,
    params,
    stream: body.stream === true,
    includeUsage: false,
    echo: {
      instructions: instructions ?? null,
      tools: tools?.echo ?? [],
      tool_choice: body.tool_choice ?? 'auto',
      parallel_tool_calls: params.parallel_tool_calls ?? true,
      temperature: params.temperature ?? null,
      top_p: params.top_p ?? null,
      max_output_tokens: params.max_tokens ?? null,
      metadata: labels.metadata,
      user: labels.user,
      text: { format: format?.echo ?? { type: 'text' } },
      reasoning: { effort: effort ?? null, summary: null },
    },
  }
}
