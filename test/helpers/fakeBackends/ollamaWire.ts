// Request decoding for the fake Ollama: what Ollama's Go server (gin's ShouldBindJSON into api.ChatRequest,
// api.EmbedRequest, ...) accepts and how it words a refusal. Unknown fields are ignored, as encoding/json does.
// The type-error wording follows encoding/json ("json: cannot unmarshal string into Go struct field
// ChatRequest.stream of type bool"); the field path is an approximation of Go's, the status (400) is exact.

export type JsonKind = 'string' | 'number' | 'bool' | 'array' | 'object' | 'null'

export function jsonKind(v: unknown): JsonKind {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'boolean') return 'bool'
  if (typeof v === 'number') return 'number'
  if (typeof v === 'string') return 'string'
  return 'object'
}

/** A request body that Ollama refuses before looking at the model: always 400 {"error": message}. */
export class BadRequest extends Error {}

/** Parses a request body as Go's JSON binding does: empty -> "missing request body", bad JSON -> Go's syntax wording. */
export function decodeBody(text: string, goType: string): Record<string, unknown> {
  if (!text.trim()) throw new BadRequest('missing request body')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new BadRequest(goSyntaxError(text))
  }
  if (value === null) return {}
  if (jsonKind(value) !== 'object') throw new BadRequest(`json: cannot unmarshal ${jsonKind(value)} into Go value of type ${goType}`)
  return value as Record<string, unknown>
}

/** Go's encoding/json wording for the common syntax errors: a document cut short, a stray first character;
 * any other syntax error keeps Go's "invalid character" opening with the offending character (approximate). */
function goSyntaxError(text: string): string {
  const trimmed = text.trim()
  const first = trimmed[0] ?? ''
  if (!/[[{"\-0-9tfn]/.test(first)) return `invalid character '${first}' looking for beginning of value`
  if (!/[}\]"\d el]$/.test(trimmed)) return 'unexpected EOF'
  const at = /position (\d+)/.exec(safeParseError(text))?.[1]
  const ch = at === undefined ? '' : (text[Number(at)] ?? '')
  return ch ? `invalid character '${ch}' in JSON value` : 'unexpected EOF'
}

function safeParseError(text: string): string {
  try {
    JSON.parse(text)
    return ''
  } catch (err) {
    return String(err)
  }
}

type Field = 'string' | 'bool' | 'int' | 'object' | 'array' | 'any'
const goTypeName: Record<Field, string> = { string: 'string', bool: 'bool', int: 'int', object: 'map[string]interface {}', array: '[]interface {}', any: 'interface {}' }

function typeError(value: unknown, path: string, goType: string): BadRequest {
  return new BadRequest(`json: cannot unmarshal ${jsonKind(value)} into Go struct field ${path} of type ${goType}`)
}

/** Checks one field's JSON type as encoding/json would (null leaves the zero value, so it always passes). */
export function expectField(value: unknown, kind: Field, path: string, goType = goTypeName[kind]): void {
  if (value === undefined || value === null || kind === 'any') return
  const k = jsonKind(value)
  const ok =
    (kind === 'string' && k === 'string') ||
    (kind === 'bool' && k === 'bool') ||
    (kind === 'object' && k === 'object') ||
    (kind === 'array' && k === 'array') ||
    (kind === 'int' && k === 'number')
  if (!ok) throw typeError(value, path, goType)
  if (kind === 'int' && !Number.isInteger(value)) throw new BadRequest(`json: cannot unmarshal number ${String(value)} into Go struct field ${path} of type int`)
}

/** api.ThinkValue: a bool or one of the levels. */
export const thinkLevels = ['high', 'medium', 'low', 'max'] as const
export function checkThink(value: unknown): void {
  if (value === undefined || value === null || typeof value === 'boolean') return
  if (typeof value === 'string') {
    if (!(thinkLevels as readonly string[]).includes(value)) throw new BadRequest(`invalid think value: ${JSON.stringify(value)} (must be "high", "medium", "low", "max", true, or false)`)
    return
  }
  throw new BadRequest('think must be a boolean or string ("high", "medium", "low", "max", true, or false)')
}

/** api.Duration (keep_alive): seconds as a number, or a Go duration string ("5m", "1h30m", "0", "-1s"). */
export function checkKeepAlive(value: unknown): void {
  if (value === undefined || value === null || typeof value === 'number') return
  if (typeof value === 'string') {
    if (!/^[+-]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$/.test(value)) throw new BadRequest(`time: invalid duration ${JSON.stringify(value)}`)
    return
  }
  const goKind = typeof value === 'boolean' ? 'bool' : Array.isArray(value) ? '[]interface {}' : 'map[string]interface {}'
  throw new BadRequest(`Unsupported type: '${goKind}'`)
}

/** keep_alive 0 ("0", 0, "0s", ...): unload after the request. */
export function isZeroKeepAlive(value: unknown): boolean {
  if (typeof value === 'number') return value === 0
  return typeof value === 'string' && /^[+-]?(0|((0+(\.0*)?|\.0+)(ns|us|µs|μs|ms|s|m|h))+)$/.test(value)
}

/** An image on a message: api.ImageData is []byte, which encoding/json decodes from standard base64 (padded). */
export function checkBase64(value: unknown, path: string): void {
  if (typeof value !== 'string') throw typeError(value, path, 'api.ImageData')
  if (/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(value)) return
  const bad = value.search(/[^A-Za-z0-9+/]/)
  throw new BadRequest(`illegal base64 data at input byte ${bad >= 0 ? bad : value.length - (value.length % 4)}`)
}

/** Ollama's sampling and runner options (api.Options + api.Runner) and their Go kinds; others are ignored with a warning. */
const optionKinds: Record<string, 'int' | 'float' | 'bool' | 'strings'> = {
  num_keep: 'int', seed: 'int', num_predict: 'int', top_k: 'int', top_p: 'float', min_p: 'float', typical_p: 'float',
  repeat_last_n: 'int', temperature: 'float', repeat_penalty: 'float', presence_penalty: 'float', frequency_penalty: 'float',
  stop: 'strings', num_ctx: 'int', num_batch: 'int', num_gpu: 'int', main_gpu: 'int', use_mmap: 'bool', num_thread: 'int',
  draft_num_predict: 'int',
}

/** api.Options.FromMap: the error (a 500 in Ollama, raised while scheduling the runner) for a mistyped option. */
export function optionsError(options: unknown): string | undefined {
  if (!options || typeof options !== 'object') return undefined
  for (const [key, v] of Object.entries(options as Record<string, unknown>)) {
    const kind = optionKinds[key]
    if (!kind || v === null) continue
    if (kind === 'int' && typeof v !== 'number') return `option "${key}" must be of type integer`
    if (kind === 'float' && typeof v !== 'number') return `option "${key}" must be of type float32`
    if (kind === 'bool' && typeof v !== 'boolean') return `option "${key}" must be of type boolean`
    if (kind === 'strings') {
      if (!Array.isArray(v)) return `option "${key}" must be of type array`
      if (v.some((s) => typeof s !== 'string')) return `option "${key}" must be of an array of strings`
    }
  }
  return undefined
}

/** Validates an /api/chat body (api.ChatRequest) field by field. */
export function checkChatRequest(body: Record<string, unknown>): void {
  expectField(body.model, 'string', 'ChatRequest.model')
  expectField(body.messages, 'array', 'ChatRequest.messages', '[]api.Message')
  for (const m of (Array.isArray(body.messages) ? body.messages : []) as unknown[]) {
    if (m === null) continue
    if (jsonKind(m) !== 'object') throw typeError(m, 'ChatRequest.messages', 'api.Message')
    const msg = m as Record<string, unknown>
    for (const f of ['role', 'content', 'thinking', 'tool_name', 'tool_call_id']) expectField(msg[f], 'string', `Message.${f}`)
    expectField(msg.images, 'array', 'Message.images', '[]api.ImageData')
    for (const img of (Array.isArray(msg.images) ? msg.images : []) as unknown[]) checkBase64(img, 'Message.images')
    expectField(msg.tool_calls, 'array', 'Message.tool_calls', '[]api.ToolCall')
    for (const c of (Array.isArray(msg.tool_calls) ? msg.tool_calls : []) as unknown[]) {
      expectField(c, 'object', 'Message.tool_calls', 'api.ToolCall')
      const fn = (c as { function?: unknown } | null)?.function
      expectField(fn, 'object', 'ToolCall.function', 'api.ToolCallFunction')
      expectField((fn as { name?: unknown } | null)?.name, 'string', 'ToolCallFunction.name')
      expectField((fn as { arguments?: unknown } | null)?.arguments, 'object', 'ToolCallFunction.arguments', 'api.ToolCallFunctionArguments')
    }
  }
  expectField(body.stream, 'bool', 'ChatRequest.stream')
  checkKeepAlive(body.keep_alive)
  expectField(body.tools, 'array', 'ChatRequest.tools', 'api.Tools')
  for (const t of (Array.isArray(body.tools) ? body.tools : []) as unknown[]) {
    expectField(t, 'object', 'ChatRequest.tools', 'api.Tool')
    expectField((t as { type?: unknown } | null)?.type, 'string', 'Tool.type')
    const fn = (t as { function?: unknown } | null)?.function
    expectField(fn, 'object', 'Tool.function', 'api.ToolFunction')
    expectField((fn as { name?: unknown } | null)?.name, 'string', 'ToolFunction.name')
  }
  expectField(body.options, 'object', 'ChatRequest.options')
  checkThink(body.think)
  expectField(body.truncate, 'bool', 'ChatRequest.truncate')
  expectField(body.shift, 'bool', 'ChatRequest.shift')
  expectField(body.logprobs, 'bool', 'ChatRequest.logprobs')
  expectField(body.top_logprobs, 'int', 'ChatRequest.top_logprobs')
}

/** The `format` field: unset (absent, null, ""), "json", or a JSON schema object; anything else is Ollama's 500. */
export function formatOf(format: unknown): { kind: 'none' } | { kind: 'json' } | { kind: 'schema'; schema: Record<string, unknown> } | { kind: 'invalid'; error: string } {
  if (format === undefined || format === null || format === '') return { kind: 'none' }
  if (format === 'json') return { kind: 'json' }
  if (jsonKind(format) === 'object') return { kind: 'schema', schema: format as Record<string, unknown> }
  // Go's %q of the raw JSON bytes.
  return { kind: 'invalid', error: `invalid format: ${JSON.stringify(JSON.stringify(format))}; expected "json" or a valid JSON Schema object` }
}

/** A value that satisfies a (simple) JSON schema: what a constrained model would produce. */
export function exampleForSchema(schema: unknown, key = 'value'): unknown {
  if (!schema || typeof schema !== 'object') return null
  const s = schema as Record<string, unknown>
  if (s.const !== undefined) return s.const
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0]
  for (const alt of ['anyOf', 'oneOf', 'allOf']) if (Array.isArray(s[alt]) && (s[alt] as unknown[]).length > 0) return exampleForSchema((s[alt] as unknown[])[0], key)
  const type = Array.isArray(s.type) ? (s.type as unknown[]).find((t) => t !== 'null') : s.type
  switch (type ?? (s.properties ? 'object' : undefined)) {
    case 'object': {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, unknown>)) out[k] = exampleForSchema(v, k)
      return out
    }
    case 'array':
      return s.items ? [exampleForSchema(s.items, key)] : []
    case 'string':
      return `fake ${key}`
    case 'integer':
      return typeof s.minimum === 'number' ? Math.ceil(s.minimum) : 1
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 1.5
    case 'boolean':
      return true
    default:
      return null
  }
}
