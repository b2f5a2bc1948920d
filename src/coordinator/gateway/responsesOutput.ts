// Pure: a chat job's outcome as an OpenAI Responses API response object, and its deltas as the Responses streaming
// events, in the order OpenAI sends them: response.created and response.in_progress; per output item
// output_item.added, its content (content_part.added, output_text.delta..., output_text.done, content_part.done for a
// message; reasoning_text.delta/done for reasoning; function_call_arguments.delta/done for a call) and
// output_item.done; then response.completed (response.incomplete when the output limit cut it, response.failed when
// the node failed mid-stream). Every event carries a sequence_number counting from 0. An item is opened when the kind
// of delta changes (reasoning, then text, then each tool call by its index) and closed when the next one opens.
import type { ChatDelta } from '../../../client/chatStream.ts'
import type { ToolCall } from '../../protocol/chatMessage.ts'
import type { GatewayResult, GatewayUsage } from './openai.ts'
import type { ResponseEcho } from './responsesRequest.ts'

export type ResponseShell = { id: string; created: number; model: string; echo: ResponseEcho }

type OutputText = { type: 'output_text'; text: string; annotations: never[]; logprobs: never[] }
type ItemStatus = 'in_progress' | 'completed' | 'incomplete'
export type MessageItem = { id: string; type: 'message'; status: ItemStatus; role: 'assistant'; content: OutputText[] }
export type FunctionCallItem = { id: string; type: 'function_call'; status: ItemStatus; call_id: string; name: string; arguments: string }
export type ReasoningItem = { id: string; type: 'reasoning'; status: ItemStatus; summary: never[]; content: { type: 'reasoning_text'; text: string }[] }
export type OutputItem = MessageItem | FunctionCallItem | ReasoningItem

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed'
export type ResponseError = { code: string; message: string }

/** How a job's finish reason ends a response: a cut by the output limit (or a filter) is `incomplete`. */
export function responseStatus(finishReason: string): { status: 'completed' | 'incomplete'; incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null } {
  if (finishReason === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } }
  if (finishReason === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } }
  return { status: 'completed', incomplete_details: null }
}

export function toResponseUsage(usage: GatewayUsage) {
  return {
    input_tokens: usage.promptTokens,
    // The Responses API always has both details: 0 where the node did not say them.
    input_tokens_details: { cached_tokens: usage.cachedPromptTokens ?? 0 },
    output_tokens: usage.completionTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: usage.promptTokens + usage.completionTokens,
  }
}

/** The response object around `output`, repeating the request's settings as OpenAI does. */
export function toResponse(
  shell: ResponseShell,
  { status, output, usage, error = null, incomplete_details = null, model = shell.model }: {
    status: ResponseStatus
    output: OutputItem[]
    usage?: GatewayUsage | undefined
    error?: ResponseError | null | undefined
    incomplete_details?: { reason: string } | null | undefined
    model?: string | undefined
  },
) {
  const { echo } = shell
  return {
    id: shell.id,
    object: 'response' as const,
    created_at: shell.created,
    status,
    background: false,
    error,
    incomplete_details,
    instructions: echo.instructions,
    max_output_tokens: echo.max_output_tokens,
    metadata: echo.metadata,
    model,
    output,
    parallel_tool_calls: echo.parallel_tool_calls,
    previous_response_id: null,
    reasoning: echo.reasoning,
    // Nothing is kept: a later GET /v1/responses/:id or previous_response_id is refused.
    store: false,
    temperature: echo.temperature,
    text: echo.text,
    tool_choice: echo.tool_choice,
    tools: echo.tools,
    top_p: echo.top_p,
    truncation: 'disabled' as const,
    usage: usage ? toResponseUsage(usage) : null,
    ...(echo.user !== undefined ? { user: echo.user } : {}),
  }
}

/** Item ids under one response: `msg_…`, `fc_…`, `rs_…` followed by the response's own suffix and the item's place. */
function itemId(shell: ResponseShell, prefix: 'msg' | 'fc' | 'rs', index: number): string {
  return `${prefix}_${shell.id.replace(/^resp_/, '')}${index.toString(36)}`
}

const outputText = (text: string): OutputText => ({ type: 'output_text', text, annotations: [], logprobs: [] })
const messageItem = (id: string, status: ItemStatus, text: string): MessageItem => ({ id, type: 'message', status, role: 'assistant', content: [outputText(text)] })
const reasoningItem = (id: string, status: ItemStatus, text: string): ReasoningItem => ({ id, type: 'reasoning', status, summary: [], content: [{ type: 'reasoning_text', text }] })
const callItem = (id: string, status: ItemStatus, call: ToolCall): FunctionCallItem => ({ id, type: 'function_call', status, call_id: call.id, name: call.function.name, arguments: call.function.arguments })

/** A finished job's output items: its reasoning, its text (a reply that is only calls has none), its calls. */
export function toResponseOutput(shell: ResponseShell, result: GatewayResult): OutputItem[] {
  const status = responseStatus(result.finishReason).status === 'completed' ? 'completed' : 'incomplete'
  const out: OutputItem[] = []
  if (result.reasoning) out.push(reasoningItem(itemId(shell, 'rs', out.length), status, result.reasoning))
  if (result.text !== '' || !result.toolCalls?.length) out.push(messageItem(itemId(shell, 'msg', out.length), status, result.text))
  for (const call of result.toolCalls ?? []) out.push(callItem(itemId(shell, 'fc', out.length), 'completed', call))
  return out
}

/** A non-streaming answer. */
export function toResponseBody(shell: ResponseShell, result: GatewayResult) {
  const { status, incomplete_details } = responseStatus(result.finishReason)
  return toResponse(shell, { status, incomplete_details, output: toResponseOutput(shell, result), usage: result.usage, model: result.model })
}

export type ResponseEvent = { type: string; sequence_number: number } & Record<string, unknown>

/** The item being streamed: which kind, where it is in the output, and (for a call) the fragment index it follows. */
type OpenItem = { kind: 'message' | 'reasoning'; index: number; id: string; text: string } | { kind: 'call'; index: number; id: string; call: number; callId: string; name: string; arguments: string }

/**
 * Turns a job's deltas into Responses streaming events. `start()` first, `delta()` per delta, then `finish()` with
 * the result or `fail()` with the error; each returns the events to send, in order.
 */
export function createResponseEvents(shell: ResponseShell) {
  let seq = 0
  const output: OutputItem[] = []
  let open: OpenItem | undefined
  let callCount = 0
  const event = (type: string, fields: Record<string, unknown>): ResponseEvent => ({ type, sequence_number: seq++, ...fields })
  const snapshot = (status: ItemStatus, item: OpenItem): OutputItem =>
    item.kind === 'call'
      ? callItem(item.id, status, { id: item.callId, type: 'function', function: { name: item.name, arguments: item.arguments } })
      : item.kind === 'message'
        ? messageItem(item.id, status, item.text)
        : reasoningItem(item.id, status, item.text)

  const close = (status: ItemStatus): ResponseEvent[] => {
    const item = open
    if (!item) return []
    open = undefined
    const done = snapshot(status, item)
    output[item.index] = done
    const at = { item_id: item.id, output_index: item.index }
    const events: ResponseEvent[] = []
    if (item.kind === 'call') events.push(event('response.function_call_arguments.done', { ...at, name: item.name, arguments: item.arguments }))
    else {
      const part = item.kind === 'message' ? outputText(item.text) : { type: 'reasoning_text', text: item.text }
      events.push(item.kind === 'message' ? event('response.output_text.done', { ...at, content_index: 0, text: item.text, logprobs: [] }) : event('response.reasoning_text.done', { ...at, content_index: 0, text: item.text }))
      events.push(event('response.content_part.done', { ...at, content_index: 0, part }))
    }
    events.push(event('response.output_item.done', { output_index: item.index, item: done }))
    return events
  }

  const openItem = (item: OpenItem): ResponseEvent[] => {
    open = item
    const added = snapshot('in_progress', item)
    // A message or reasoning item is added empty; its content part comes in its own event.
    if (added.type !== 'function_call') added.content = []
    output[item.index] = added
    const events = [event('response.output_item.added', { output_index: item.index, item: added })]
    if (item.kind === 'call') return events
    const part = item.kind === 'message' ? outputText('') : { type: 'reasoning_text', text: '' }
    events.push(event('response.content_part.added', { item_id: item.id, output_index: item.index, content_index: 0, part }))
    return events
  }

  const text = (kind: 'message' | 'reasoning', piece: string): ResponseEvent[] => {
    const events: ResponseEvent[] = []
    if (open?.kind !== kind) {
      events.push(...close('completed'))
      events.push(...openItem({ kind, index: output.length, id: itemId(shell, kind === 'message' ? 'msg' : 'rs', output.length), text: '' }))
    }
    const item = open as Extract<OpenItem, { kind: 'message' | 'reasoning' }>
    item.text += piece
    const at = { item_id: item.id, output_index: item.index, content_index: 0, delta: piece }
    events.push(kind === 'message' ? event('response.output_text.delta', { ...at, logprobs: [] }) : event('response.reasoning_text.delta', at))
    return events
  }

  const fragment = (f: NonNullable<ChatDelta['toolCalls']>[number]): ResponseEvent[] => {
    const events: ResponseEvent[] = []
    if (open?.kind !== 'call' || open.call !== f.index) {
      events.push(...close('completed'))
      const index = output.length
      callCount++
      // An engine that names no id still gets one: the caller answers the call by it (function_call_output.call_id).
      events.push(...openItem({ kind: 'call', index, id: itemId(shell, 'fc', index), call: f.index, callId: f.id ?? `call_${shell.id.replace(/^resp_/, '')}${callCount}`, name: f.name ?? '', arguments: '' }))
    }
    const item = open as Extract<OpenItem, { kind: 'call' }>
    if (f.arguments) {
      item.arguments += f.arguments
      events.push(event('response.function_call_arguments.delta', { item_id: item.id, output_index: item.index, delta: f.arguments }))
    }
    return events
  }

  return {
    start(): ResponseEvent[] {
      const response = toResponse(shell, { status: 'in_progress', output: [] })
      return [event('response.created', { response }), event('response.in_progress', { response })]
    },
    delta(d: ChatDelta): ResponseEvent[] {
      const events: ResponseEvent[] = []
      if (d.reasoning) events.push(...text('reasoning', d.reasoning))
      if (d.text) events.push(...text('message', d.text))
      for (const f of d.toolCalls ?? []) events.push(...fragment(f))
      return events
    },
    finish(result: GatewayResult): ResponseEvent[] {
      const { status, incomplete_details } = responseStatus(result.finishReason)
      const events = close(status === 'completed' ? 'completed' : 'incomplete')
      // A job that streamed nothing still answers with its (empty) message, as the non-streaming answer does.
      if (output.length === 0) events.push(...openItem({ kind: 'message', index: 0, id: itemId(shell, 'msg', 0), text: '' }), ...close(status === 'completed' ? 'completed' : 'incomplete'))
      const response = toResponse(shell, { status, incomplete_details, output: [...output], usage: result.usage, model: result.model })
      events.push(event(status === 'completed' ? 'response.completed' : 'response.incomplete', { response }))
      return events
    },
    fail(error: ResponseError): ResponseEvent[] {
      // The open item stays as far as it got, marked incomplete, as OpenAI's failed response carries it.
      if (open) output[open.index] = snapshot('incomplete', open)
      open = undefined
      return [event('response.failed', { response: toResponse(shell, { status: 'failed', output: [...output], error }) })]
    },
  }
}
