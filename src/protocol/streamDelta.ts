// Structured output of a version 2 job (nips/stream.md, "Structured deltas"). A v2 chunk's plaintext is one JSON
// object: text, reasoning, tool-call fragments and logprobs; a v1 chunk's plaintext stays the bare text. Fragments
// follow OpenAI's streaming shape: the first fragment of a call carries its index, id and name, later ones carry
// pieces of its arguments under the same index. The output a result's hash covers (`canonicalOutput`) is the
// assembled whole, so a client verifies tool calls as it verifies text. Pure.
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { z } from 'zod'
import { functionName, toolCallId, type ToolCall } from './chatMessage.ts'
import { maxToolCallsPerMessage } from './limits.ts'

export const toolCallFragment = z
  .object({
    index: z.number().int().min(0).max(maxToolCallsPerMessage - 1),
    id: toolCallId.optional(),
    name: functionName.optional(),
    arguments: z.string().optional(),
  })
  .strict()
export type ToolCallFragment = z.infer<typeof toolCallFragment>

const topLogprob = z.object({ token: z.string(), logprob: z.number() }).strict()
export const tokenLogprob = z
  .object({ token: z.string(), logprob: z.number(), top_logprobs: z.array(topLogprob).max(20).optional() })
  .strict()
export type TokenLogprob = z.infer<typeof tokenLogprob>

export const structuredDelta = z
  .object({
    text: z.string().optional(),
    reasoning: z.string().optional(),
    tool_calls: z.array(toolCallFragment).max(256).optional(),
    logprobs: z.array(tokenLogprob).max(4096).optional(),
  })
  .strict()
export type StructuredDelta = z.infer<typeof structuredDelta>

/** What a v2 job produced, assembled from its deltas: what the result's output hash covers. */
export type StructuredOutput = { text: string; reasoning: string; toolCalls: ToolCall[] }

export function isEmptyDelta(d: StructuredDelta): boolean {
  return !d.text && !d.reasoning && !d.tool_calls?.length && !d.logprobs?.length
}

/** The plaintext of a v2 chunk: empty fields left out. */
export function encodeDelta(d: StructuredDelta): string {
  const out: StructuredDelta = {}
  if (d.text) out.text = d.text
  if (d.reasoning) out.reasoning = d.reasoning
  if (d.tool_calls?.length) out.tool_calls = d.tool_calls
  if (d.logprobs?.length) out.logprobs = d.logprobs
  return JSON.stringify(out)
}

/** Reads a v2 chunk's plaintext; a reason when it is not one (a v1 node answering a v2 job, a corrupt chunk). */
export function decodeDelta(plaintext: string): { ok: true; delta: StructuredDelta } | { ok: false; reason: string } {
  let raw: unknown
  try {
    raw = JSON.parse(plaintext)
  } catch {
    return { ok: false, reason: 'a version 2 chunk must be a JSON object (nips/stream.md, "Structured deltas")' }
  }
  // Every frame of a stream passes here: the common (valid) case is checked by hand, zod only words a refusal.
  if (isStructuredDelta(raw)) return { ok: true, delta: raw }
  const parsed = structuredDelta.safeParse(raw)
  if (!parsed.success) return { ok: false, reason: `bad version 2 chunk: ${parsed.error.issues[0]!.path.join('.') || '(root)'}: ${parsed.error.issues[0]!.message}` }
  return { ok: true, delta: parsed.data }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const onlyKeys = (o: Record<string, unknown>, allowed: ReadonlySet<string>) => {
  for (const k in o) if (!allowed.has(k)) return false
  return true
}
const deltaKeys: ReadonlySet<string> = new Set(['text', 'reasoning', 'tool_calls', 'logprobs'])
const fragmentKeys: ReadonlySet<string> = new Set(['index', 'id', 'name', 'arguments'])
const logprobKeys: ReadonlySet<string> = new Set(['token', 'logprob', 'top_logprobs'])
const topLogprobKeys: ReadonlySet<string> = new Set(['token', 'logprob'])
const functionNamePattern = /^[A-Za-z0-9_-]{1,64}$/
const isEntry = (l: unknown, keys: ReadonlySet<string>): l is Record<string, unknown> =>
  isRecord(l) && onlyKeys(l, keys) && typeof l.token === 'string' && typeof l.logprob === 'number'

/**
 * Exactly what `structuredDelta` accepts, checked by hand for a JSON-parsed value (a test holds the two to the same
 * answers): false sends the value to zod, which says what is wrong.
 */
export function isStructuredDelta(raw: unknown): raw is StructuredDelta {
  if (!isRecord(raw) || !onlyKeys(raw, deltaKeys)) return false
  if (raw.text !== undefined && typeof raw.text !== 'string') return false
  if (raw.reasoning !== undefined && typeof raw.reasoning !== 'string') return false
  const calls = raw.tool_calls
  if (calls !== undefined) {
    if (!Array.isArray(calls) || calls.length > 256) return false
    for (const f of calls) {
      if (!isRecord(f) || !onlyKeys(f, fragmentKeys)) return false
      if (!Number.isSafeInteger(f.index) || (f.index as number) < 0 || (f.index as number) >= maxToolCallsPerMessage) return false
      if (f.id !== undefined && (typeof f.id !== 'string' || f.id.length < 1 || f.id.length > 128)) return false
      if (f.name !== undefined && (typeof f.name !== 'string' || !functionNamePattern.test(f.name))) return false
      if (f.arguments !== undefined && typeof f.arguments !== 'string') return false
    }
  }
  const logprobs = raw.logprobs
  if (logprobs !== undefined) {
    if (!Array.isArray(logprobs) || logprobs.length > 4096) return false
    for (const l of logprobs) {
      if (!isEntry(l, logprobKeys)) return false
      const top = l.top_logprobs
      if (top !== undefined && (!Array.isArray(top) || top.length > 20 || !top.every((t) => isEntry(t, topLogprobKeys)))) return false
    }
  }
  return true
}

/** One delta from two consecutive ones, assembling to the same output (batching several engine chunks into one frame). */
export function mergeDeltas(a: StructuredDelta, b: StructuredDelta): StructuredDelta {
  // A copy of `a` as it is (its fragments not joined among themselves), then `b` appended to it.
  const out: StructuredDelta = {}
  if (a.text) out.text = a.text
  if (a.reasoning) out.reasoning = a.reasoning
  if (a.tool_calls?.length) out.tool_calls = a.tool_calls.map((f) => ({ ...f }))
  if (a.logprobs?.length) out.logprobs = [...a.logprobs]
  appendDelta(out, b)
  return out
}

/**
 * `mergeDeltas(acc, d)` in place, for an accumulator its owner alone holds (a job's whole output so far, a batch
 * being filled): the same result without copying what came before, so a long stream with logprobs costs linear
 * time, not quadratic. `d` is not changed; its tool-call fragments are copied, its logprob entries (which nothing
 * changes) shared.
 */
export function appendDelta(acc: StructuredDelta, d: StructuredDelta): void {
  if (d.text) acc.text = (acc.text ?? '') + d.text
  if (d.reasoning) acc.reasoning = (acc.reasoning ?? '') + d.reasoning
  for (const f of d.tool_calls ?? []) {
    const calls = (acc.tool_calls ??= [])
    const last = calls[calls.length - 1]
    // A continuation of the same call (no new id or name) joins its arguments.
    if (last && last.index === f.index && f.id === undefined && f.name === undefined) last.arguments = (last.arguments ?? '') + (f.arguments ?? '')
    else calls.push({ ...f })
  }
  if (d.logprobs?.length) (acc.logprobs ??= []).push(...d.logprobs)
}

/** Assembles deltas (or one merged delta) into the output: calls by index, the first id and name of each kept. */
export function assembleOutput(deltas: readonly StructuredDelta[]): StructuredOutput {
  let text = ''
  let reasoning = ''
  const calls = new Map<number, { id: string; name: string; arguments: string }>()
  for (const d of deltas) {
    text += d.text ?? ''
    reasoning += d.reasoning ?? ''
    for (const f of d.tool_calls ?? []) {
      const call = calls.get(f.index) ?? { id: '', name: '', arguments: '' }
      if (!call.id && f.id) call.id = f.id
      if (!call.name && f.name) call.name = f.name
      call.arguments += f.arguments ?? ''
      calls.set(f.index, call)
    }
  }
  const toolCalls = [...calls.entries()].sort(([x], [y]) => x - y).map(([, c]) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } }))
  return { text, reasoning, toolCalls }
}

/**
 * The canonical form the output hash covers: JSON.stringify of this fixed shape, keys in this order (text,
 * reasoning, then each call's id, name and arguments, in index order).
 */
export function canonicalOutput(o: StructuredOutput): string {
  return JSON.stringify({ text: o.text, reasoning: o.reasoning, tool_calls: o.toolCalls.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments })) })
}

export function structuredOutputHash(o: StructuredOutput): string {
  return bytesToHex(sha256(new TextEncoder().encode(canonicalOutput(o))))
}

/**
 * The delta that takes `have` to `full` when `have` is a prefix of it (text, reasoning, each call's arguments), for
 * a client that lost relay chunks and reads the whole output from the result; undefined when it is not a prefix.
 */
export function completingDelta(have: StructuredOutput, full: StructuredOutput): StructuredDelta | undefined {
  if (!full.text.startsWith(have.text) || !full.reasoning.startsWith(have.reasoning) || have.toolCalls.length > full.toolCalls.length) return undefined
  const tool_calls: ToolCallFragment[] = []
  for (const [index, call] of full.toolCalls.entries()) {
    const had = have.toolCalls[index]
    if (!had) {
      tool_calls.push({ index, id: call.id, name: call.function.name, arguments: call.function.arguments })
      continue
    }
    if (had.id !== call.id || had.function.name !== call.function.name || !call.function.arguments.startsWith(had.function.arguments)) return undefined
    const rest = call.function.arguments.slice(had.function.arguments.length)
    if (rest) tool_calls.push({ index, arguments: rest })
  }
  const d: StructuredDelta = { text: full.text.slice(have.text.length), reasoning: full.reasoning.slice(have.reasoning.length), tool_calls }
  return isEmptyDelta(d) ? undefined : d
}

/** The output as a JSON-ready object (the result's relay copy): the same fields the hash covers. */
export const structuredOutputSchema = z.object({
  text: z.string(),
  reasoning: z.string(),
  tool_calls: z.array(z.object({ id: z.string(), name: z.string(), arguments: z.string() })).max(maxToolCallsPerMessage),
})

export function toOutputJson(o: StructuredOutput): z.infer<typeof structuredOutputSchema> {
  return JSON.parse(canonicalOutput(o)) as z.infer<typeof structuredOutputSchema>
}

export function fromOutputJson(j: z.infer<typeof structuredOutputSchema>): StructuredOutput {
  return { text: j.text, reasoning: j.reasoning, toolCalls: j.tool_calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) }
}
