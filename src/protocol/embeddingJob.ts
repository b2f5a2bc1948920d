// An embeddings job (job payload version 3, nips/embeddings.md): the texts to embed go to one node encrypted like a
// chat, and the vectors come back on the job's output stream as text, so the direct channel, relay chunk events, the
// result's hash and its signature all carry them as they carry a chat answer. The output is one line per input:
// base64 of the vector's IEEE-754 float32 values, little-endian, then "\n". Float32 is what the engines compute and
// what OpenAI's own `encoding_format: "base64"` sends, so nothing is lost, the bytes are exact (a hash over JSON
// numbers would depend on each engine's float printing), and a 4096-float vector is 21 848 bytes instead of ~80 000
// as JSON. Pure.
import { z } from 'zod'
import { utf8Length } from './event.ts'
import { price as priceSchema, modelId } from './schema.ts'
import { maxTokensFor, tokenizerFamily } from './usageBounds.ts'
import { chunkCipher } from './chunkCipher.ts'

export const embeddingPayloadVersion = 3

/** Most texts one job embeds (OpenAI allows 2048 per request; the gateway refuses more than this, naming `input`). */
export const maxEmbeddingInputs = 256
/** Longest `dimensions` a job may ask for. */
export const maxEmbeddingDimensions = 16_384
/**
 * Most float values one job's output carries (4096 dimensions x 32 inputs): 512 KiB of float32, 683 KiB of base64,
 * 43 chunk events on the relay transport. A node whose engine returns more ends the job `too-large` naming it.
 */
export const maxEmbeddingValues = 131_072
/** Largest piece of the output the node writes at once: one NIP-44 payload, one relay chunk event (32 KiB) with room. */
export const embeddingSliceBytes = 16 * 1024
/** Most UTF-8 bytes of text one job embeds: half the job payload limit, so JSON escaping still fits. */
export const maxEmbeddingInputBytes = 128 * 1024
/** Tokens an input may cost beyond its text: begin/end-of-text, CLS/SEP, an instruction prefix some models add. */
export const embeddingTokensPerInput = 4

export const jobPayloadV3 = z
  .object({
    v: z.literal(embeddingPayloadVersion),
    model: modelId,
    /** The texts, in order; the output has one vector per text, in the same order. Token arrays are not carried. */
    input: z.array(z.string().min(1, 'an input text is empty')).min(1).max(maxEmbeddingInputs),
    /** Shorter vectors, for models trained to be cut (Matryoshka); an engine that cannot ends the job `bad-payload`. */
    dimensions: z.number().int().min(1).max(maxEmbeddingDimensions).optional(),
    bid: priceSchema,
    transport: z.enum(['direct', 'relay']),
    /** Direct chunk frames sealed under a per-job key (chunkCipher.ts), as for chat jobs. */
    chunks: z.literal(chunkCipher).optional(),
  })
  .strict()
export type JobPayloadV3 = z.infer<typeof jobPayloadV3>

export type EmbeddingRequestCheck =
  | { ok: true; input: string[]; dimensions?: number | undefined }
  | { ok: false; param: 'input' | 'dimensions'; message: string }

/**
 * A caller's `input` (a string or an array of strings, as OpenAI takes it) and `dimensions`, checked before any
 * job exists: the SDK and the gateway refuse the same things with the same words, naming the field.
 */
export function checkEmbeddingRequest({ input, dimensions }: { input: unknown; dimensions?: unknown }): EmbeddingRequestCheck {
  const bad = (message: string, param: 'input' | 'dimensions' = 'input') => ({ ok: false as const, param, message })
  const list = typeof input === 'string' ? [input] : input
  if (!Array.isArray(list)) return bad('`input` must be a string or an array of strings.')
  if (list.length === 0) return bad('`input` is empty: send at least one text.')
  if (list.some((s) => typeof s === 'number' || Array.isArray(s))) return bad('`input` as token ids is not supported: nodes tokenize with their own engines, send the text.')
  if (!list.every((s): s is string => typeof s === 'string')) return bad('`input` must be a string or an array of strings.')
  const empty = list.findIndex((s) => s.length === 0)
  if (empty >= 0) return bad(`\`input[${empty}]\` is an empty string.`)
  if (list.length > maxEmbeddingInputs) return bad(`\`input\` has ${list.length} texts; a request embeds at most ${maxEmbeddingInputs}.`)
  const bytes = embeddingInputBytes(list)
  if (bytes > maxEmbeddingInputBytes) return bad(`\`input\` is ${bytes} bytes; a request embeds at most ${maxEmbeddingInputBytes} bytes of text.`)
  if (dimensions === undefined || dimensions === null) return { ok: true, input: list }
  if (typeof dimensions !== 'number' || !Number.isInteger(dimensions) || dimensions < 1 || dimensions > maxEmbeddingDimensions) {
    return bad(`\`dimensions\` must be an integer from 1 to ${maxEmbeddingDimensions}.`, 'dimensions')
  }
  return { ok: true, input: list, dimensions }
}

/** UTF-8 bytes of the texts: what a node's maxPromptBytes bounds. */
export function embeddingInputBytes(input: readonly string[]): number {
  let n = 0
  for (const s of input) n += utf8Length(s)
  return n
}

/** The largest usage a node may charge before it runs: one token per byte plus the per-input allowance, no output. */
export function embeddingWorstCaseUsage(input: readonly string[]): { promptTokens: number; completionTokens: number } {
  return { promptTokens: embeddingInputBytes(input) + embeddingTokensPerInput * input.length, completionTokens: 0 }
}

/** The most prompt tokens a client accepts for these texts on this model (usageBounds.ts rules, per input). */
export function maxEmbeddingPromptTokens({ model, input }: { model: string; input: readonly string[] }): number {
  const family = tokenizerFamily(model)
  let total = 0
  for (const s of input) total += maxTokensFor(s, family) + embeddingTokensPerInput
  return total
}

/** float32 little-endian bytes as base64 (btoa is a global in Node 20 and every browser). */
function vectorToBase64(vector: readonly number[]): string {
  const bytes = new Uint8Array(new Float32Array(vector).buffer)
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

/** The floats of one base64 float32 line, or undefined when it is not one. */
export function base64ToVector(line: string): number[] | undefined {
  let binary: string
  try {
    binary = atob(line)
  } catch {
    return undefined
  }
  if (binary.length === 0 || binary.length % 4 !== 0) return undefined
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return Array.from(new Float32Array(bytes.buffer))
}

/** One vector as OpenAI's base64 encoding_format writes it (the same bytes as an output line). */
export const embeddingToBase64 = vectorToBase64

/** The job's output text for these vectors: one base64 float32 line per vector. */
export function encodeEmbeddings(vectors: readonly (readonly number[])[]): string {
  return vectors.map((v) => vectorToBase64(v) + '\n').join('')
}

export type DecodeEmbeddingsResult = { ok: true; vectors: number[][]; dimensions: number } | { ok: false; reason: string }

/**
 * Reads an output text back: exactly `count` lines, each a non-empty float32 vector of finite values, all of one
 * length (`dimensions` when the job asked for it), and at most maxEmbeddingValues floats in all.
 */
export function decodeEmbeddings(text: string, { count, dimensions }: { count: number; dimensions?: number | undefined }): DecodeEmbeddingsResult {
  if (!text.endsWith('\n')) return { ok: false, reason: 'embedding output does not end with a newline' }
  const lines = text.slice(0, -1).split('\n')
  if (lines.length !== count) return { ok: false, reason: `embedding output has ${lines.length} vectors for ${count} inputs` }
  const vectors: number[][] = []
  let values = 0
  for (const [i, line] of lines.entries()) {
    const v = base64ToVector(line)
    if (!v) return { ok: false, reason: `embedding ${i} is not base64 of float32 values` }
    if (!v.every(Number.isFinite)) return { ok: false, reason: `embedding ${i} holds a value that is not a finite number` }
    if (vectors.length > 0 && v.length !== vectors[0]!.length) return { ok: false, reason: `embedding ${i} has ${v.length} dimensions, embedding 0 has ${vectors[0]!.length}` }
    values += v.length
    if (values > maxEmbeddingValues) return { ok: false, reason: `embedding output holds more than ${maxEmbeddingValues} values (maxEmbeddingValues)` }
    vectors.push(v)
  }
  const dims = vectors[0]!.length
  if (dimensions !== undefined && dims !== dimensions) return { ok: false, reason: `embeddings have ${dims} dimensions, the job asked for ${dimensions}` }
  return { ok: true, vectors, dimensions: dims }
}

/** The output cut into pieces of at most embeddingSliceBytes (base64 and newlines are ASCII: a char is a byte). */
export function embeddingSlices(text: string): string[] {
  const out: string[] = []
  for (let i = 0; i < text.length; i += embeddingSliceBytes) out.push(text.slice(i, i + embeddingSliceBytes))
  return out
}
