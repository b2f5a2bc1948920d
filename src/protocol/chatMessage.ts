// The messages of a job payload (nips/job-request.md). Version 1 carries text only ({role, content: string});
// version 2 adds what a tool-using conversation needs: assistant `tool_calls`, `tool` messages answering one call by
// its `tool_call_id`, and content as parts (text, and images as base64 `data:` URLs). An image travels inside the
// encrypted payload: a node never fetches a URL on a client's behalf (no request forgery through nodes), so a remote
// image is the client's or the gateway's to fetch and inline. Pure.
import { z } from 'zod'
import { utf8Length } from './event.ts'
import { maxImageBytes, maxToolCallsPerMessage } from './limits.ts'

export const chatRole = z.enum(['system', 'user', 'assistant', 'tool'])
export type ChatRole = z.infer<typeof chatRole>

/** A version 1 message: text only. */
export const chatMessageV1 = z.object({ role: chatRole, content: z.string() })
export type ChatMessageV1 = z.infer<typeof chatMessageV1>

/** Function names as OpenAI bounds them: letters, digits, underscores and dashes, at most 64. */
export const functionName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'function names use letters, digits, _ and -, at most 64')
/** Ids an engine gave its tool calls (`call_…`, `chatcmpl-tool-…`); a `tool` message names one to answer it. */
export const toolCallId = z.string().min(1).max(128)

const dataUrlPattern = /^data:image\/(png|jpeg|gif|webp);base64,([A-Za-z0-9+/]+={0,2})$/

/** Decoded bytes of a base64 body of `chars` characters with `pad` trailing `=`. */
function base64Bytes(chars: number, pad: number): number {
  return (chars / 4) * 3 - pad
}

/** Whether `url` is an inline image this protocol carries; the reason otherwise (a remote URL, too large, not base64). */
export function checkImageUrl(url: string): string | undefined {
  if (/^https?:/i.test(url)) return 'remote image URLs are not carried: fetch the image and send it as a data: URL'
  const m = dataUrlPattern.exec(url)
  if (!m || m[2]!.length % 4 !== 0) return 'an image must be a data:image/(png|jpeg|gif|webp);base64,... URL'
  const bytes = base64Bytes(m[2]!.length, m[2]!.endsWith('==') ? 2 : m[2]!.endsWith('=') ? 1 : 0)
  if (bytes > maxImageBytes) return `an image is ${bytes} bytes, the limit is ${maxImageBytes}`
  return undefined
}

export const textPart = z.object({ type: z.literal('text'), text: z.string() })
export const imagePart = z.object({
  type: z.literal('image_url'),
  image_url: z.object({
    url: z.string().superRefine((url, ctx) => {
      const why = checkImageUrl(url)
      if (why) ctx.addIssue({ code: 'custom', message: why })
    }),
    detail: z.enum(['auto', 'low', 'high']).optional(),
  }),
})
export const contentPart = z.discriminatedUnion('type', [textPart, imagePart])
export type ContentPart = z.infer<typeof contentPart>

/** One call the model made: OpenAI's shape, arguments as the model wrote them (a JSON string, not parsed). */
export const toolCall = z.object({
  id: toolCallId,
  type: z.literal('function'),
  function: z.object({ name: functionName, arguments: z.string() }),
})
export type ToolCall = z.infer<typeof toolCall>

/** A version 2 message. Which fields a role may carry is checked below, so a misplaced one is refused, not dropped. */
export const chatMessageV2 = z
  .object({
    role: chatRole,
    content: z.union([z.string(), z.array(contentPart).max(64), z.null()]),
    /** An assistant turn that called tools (its content may then be null). */
    tool_calls: z.array(toolCall).min(1).max(maxToolCallsPerMessage).optional(),
    /** A tool message: the call it answers. */
    tool_call_id: toolCallId.optional(),
    /** OpenAI's optional participant name. */
    name: z.string().max(64).optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    const issue = (message: string, path: string) => ctx.addIssue({ code: 'custom', message, path: [path] })
    if (m.tool_calls && m.role !== 'assistant') issue('only an assistant message carries tool_calls', 'tool_calls')
    if (m.role === 'tool' && m.tool_call_id === undefined) issue('a tool message needs the tool_call_id it answers', 'tool_call_id')
    if (m.role !== 'tool' && m.tool_call_id !== undefined) issue('only a tool message carries tool_call_id', 'tool_call_id')
    if (m.content === null && !(m.role === 'assistant' && m.tool_calls)) issue('content may be null only in an assistant message with tool_calls', 'content')
    if (Array.isArray(m.content) && m.role !== 'user' && m.content.some((p) => p.type !== 'text')) issue('only a user message carries image parts', 'content')
  })
export type ChatMessageV2 = z.infer<typeof chatMessageV2>

/** Any message the network carries; a v1 message is a v2 message too. */
export type ChatMessage = ChatMessageV1 | ChatMessageV2

/** The text of a message's content (parts joined; images left out). */
export function messageText(m: ChatMessage): string {
  if (typeof m.content === 'string') return m.content
  if (m.content === null) return ''
  let out = ''
  for (const p of m.content) if (p.type === 'text') out += p.text
  return out
}

/** The images of a message, as the data URLs it carries. */
export function messageImages(m: ChatMessage): string[] {
  if (!Array.isArray(m.content)) return []
  return m.content.flatMap((p) => (p.type === 'image_url' ? [p.image_url.url] : []))
}

/** Whether a message needs payload version 2 (anything beyond a role and a string). */
export function needsV2(m: ChatMessage): boolean {
  return typeof m.content !== 'string' || 'tool_calls' in m || 'tool_call_id' in m || 'name' in m
}

/** Everything of a message a chat template renders besides its text: tool calls, the answered call's id. */
export function messageExtras(m: ChatMessage): string {
  const calls = 'tool_calls' in m && m.tool_calls ? JSON.stringify(m.tool_calls) : ''
  const id = 'tool_call_id' in m && m.tool_call_id ? m.tool_call_id : ''
  return calls + id
}

/** UTF-8 bytes of a message's text, tool calls and images (as their data URLs). */
export function messageBytes(m: ChatMessage): number {
  return utf8Length(messageText(m)) + utf8Length(messageExtras(m)) + messageImages(m).reduce((n, url) => n + url.length, 0)
}
