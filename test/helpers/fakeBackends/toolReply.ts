// What the fake engines answer a request with tools or a response format, the same for every wire format (each
// fake writes it in its own): a tool call when tools are offered (the named one, else the first), unless
// tool_choice is "none" or the last message already is a tool's answer (then text, as a model answers the result);
// JSON that fits the schema when a json_schema (or json_object / Ollama `format`) is asked for. Arguments and JSON
// are generated from the schema: a value of each declared type for every property, so tests can validate them.

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; items?: Schema; enum?: unknown[] }

/** A value that validates against `schema` (the subset fakes need: object, array, string, number, integer, boolean, enum). */
export function sampleFor(schema: Schema | undefined): unknown {
  if (!schema) return {}
  if (schema.enum?.length) return schema.enum[0]
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  switch (type) {
    case 'object':
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, sampleFor(s)]))
    case 'array':
      return [sampleFor(schema.items)]
    case 'string':
      return 'Paris'
    case 'number':
      return 21.5
    case 'integer':
      return 3
    case 'boolean':
      return true
    default:
      return null
  }
}

type Tool = { type?: string; function?: { name?: string; parameters?: Schema } }

/** The call a fake makes for this request body (OpenAI's request shape; Ollama's tools are the same), if any. */
export function plannedToolCall(body: Record<string, unknown>): { name: string; arguments: unknown } | undefined {
  const tools = (body.tools as Tool[] | undefined) ?? []
  const messages = (body.messages as { role?: string }[] | undefined) ?? []
  if (tools.length === 0 || body.tool_choice === 'none' || messages.at(-1)?.role === 'tool') return undefined
  const choice = body.tool_choice as { function?: { name?: string } } | undefined
  const tool = tools.find((t) => t.function?.name === choice?.function?.name) ?? tools[0]!
  return { name: tool.function?.name ?? 'tool', arguments: sampleFor(tool.function?.parameters ?? { type: 'object' }) }
}

/** The JSON text a fake answers a structured-output request with, if one was asked for. */
export function structuredReply(format: unknown): string | undefined {
  if (format === 'json') return '{}'
  const f = format as { type?: string; json_schema?: { schema?: Schema } } | Schema | undefined
  if (!f || typeof f !== 'object') return undefined
  if ('json_schema' in f && f.type === 'json_schema') return JSON.stringify(sampleFor(f.json_schema?.schema ?? { type: 'object' }))
  if (f.type === 'json_object') return '{}'
  // Ollama's `format` is the schema itself.
  if (f.type === 'object') return JSON.stringify(sampleFor(f as Schema))
  return undefined
}

/** A string in pieces of about `size` characters, as engines stream tool-call arguments. */
export function pieces(text: string, size = 4): string[] {
  const out: string[] = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
  return out.length ? out : ['']
}
