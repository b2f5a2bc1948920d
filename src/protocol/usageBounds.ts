// The most tokens a node may honestly report for a job, from what the client can see: its own messages and the
// text the node streamed. A client refuses a result whose usage goes past these bounds (client/verifyResult.ts);
// see nips/client.md, "Usage bounds". Pure.
//
// A byte-level tokenizer can spend one token per byte, so `tokens <= bytes` is the only bound that holds for every
// model; it still lets a node charge about 4x for English text, and the old slack (+512 prompt tokens) 25x for a
// short prompt. The tokenizer families below are known well enough to bound tighter: text is cut into the pieces
// their pre-tokenizers cut (a word with its leading space, a single digit, a run of punctuation, a run of
// whitespace, a newline), and a piece costs at most
//   max(1, ceil(ascii letters and blanks / k) + digits + ASCII punctuation + newlines + non-ASCII UTF-8 bytes)
// tokens, where k is the family's bytes per token for plain ASCII words and a word's single leading space rides on
// its first token. Everything but ASCII words is bounded at one token per byte (or per digit), so code, numbers,
// hex, emoji and scripts a vocabulary barely covers are never refused; only a node that claims more tokens than an
// ASCII word can take is. Every family splits case changes (`getElementById` is four pieces), so mixed-case
// strings such as base64 get their share too. A model id that names no family gets k = 1 and no free space, which
// is `tokens <= bytes` exactly.
import { messageExtras, messageImages, messageText, type ChatMessage } from './chatMessage.ts'
import { splitTokens } from './splitTokens.ts'
import type { StructuredOutput } from './streamDelta.ts'

export type TokenizerFamily = {
  id: string
  /** Matched against the model id the client asked for. */
  match: RegExp
  /** UTF-8 bytes of a plain ASCII word (letters, spaces, tabs) per token, at the least, for this family. */
  bytesPerToken: number
  /** Whether a word's single leading space joins its first token (true of every BPE and SentencePiece vocabulary). */
  spaceJoinsWord: boolean
  /** The exact completion count when the family's tokenizer is known to the client. */
  completionTokens?: ((output: string) => number) | undefined
}

/**
 * First match wins. Reasoning models are left out on purpose: they spend completion tokens on thinking that is
 * not streamed as text, so no bound over the streamed text holds for them (they get the `tokens <= bytes` rule).
 */
export const tokenizerFamilies: readonly TokenizerFamily[] = [
  // The built-in demo backend (node/backends/demo.ts): one token per word with its leading whitespace.
  { id: 'demo', match: /^demo$/, bytesPerToken: 3, spaceJoinsWord: true, completionTokens: (output) => splitTokens(output).length },
  // No bound for reasoning variants of the families below.
  { id: 'reasoning', match: /reason|think|qwq|(^|[^a-z0-9])r1([^a-z0-9]|$)/i, bytesPerToken: 1, spaceJoinsWord: false },
  // Byte-level BPE or SentencePiece with 100k+ entries: Llama 3.x (128k), Qwen 2/2.5 (151k), Gemma 2/3 (256k),
  // Phi-4 (100k). Common English words are one token, at about 4.5 bytes per token; k = 3 leaves rare words
  // (`antidisestablishmentarianism`: 10 allowed, 6 used) and identifiers room.
  { id: 'bpe-100k', match: /(^|[^a-z0-9])(llama-?3|qwen-?2|gemma-?[23]|phi-?4)/i, bytesPerToken: 3, spaceJoinsWord: true },
  // SentencePiece with 32k entries: Llama 2, Mistral 7B / Mixtral (not Nemo, whose Tekken vocabulary is 131k),
  // Phi-3. Words split more often: k = 2.
  { id: 'sentencepiece-32k', match: /(^|[^a-z0-9])(llama-?2|mistral(?!-?nemo)|mixtral|phi-?3)/i, bytesPerToken: 2, spaceJoinsWord: true },
]

/** Any other model: one token per UTF-8 byte, the byte-level worst case. */
export const anyTokenizer: TokenizerFamily = { id: 'any', match: /(?:)/, bytesPerToken: 1, spaceJoinsWord: false }

/** Tokens a reported completion may exceed the bound by: an end-of-sequence token some engines count, a cut character. */
export const completionSlackTokens = 4
/** Chat-template tokens per message: the role header and the end-of-turn marker(s) around the content. */
export const templateTokensPerMessage = 8
/** Tokens a template adds once per prompt: begin-of-text, the assistant header it ends with, a short default system prompt. */
export const templateTokensPerPrompt = 64

export function tokenizerFamily(model: string): TokenizerFamily {
  return tokenizerFamilies.find((f) => f.match.test(model)) ?? anyTokenizer
}

const encoder = new TextEncoder()
const piecePattern = /[^\r\n\p{L}\p{N}]?(?:\p{Lu}+(?!\p{Ll})|\p{Lu}?[\p{Ll}\p{Lm}\p{Lo}\p{Lt}\p{M}]+|\p{L}+)|\p{N}|[^\s\p{L}\p{N}]+|\s+/gu

function pieceBound(piece: string, family: TokenizerFamily): number {
  let blanks = 0
  let other = 0
  let start = 0
  if (family.spaceJoinsWord && piece.length > 1 && piece[0] === ' ' && /\p{L}/u.test(piece[1]!)) start = 1
  for (let i = start; i < piece.length; i++) {
    const c = piece.charCodeAt(i)
    if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x20 || c === 0x09) blanks++
    else if (c < 0x80) other++
    else {
      // The rest of the piece, in UTF-8 bytes: one token per byte.
      other += encoder.encode(piece.slice(i)).length
      break
    }
  }
  return Math.max(1, Math.ceil(blanks / family.bytesPerToken) + other)
}

/**
 * The pieces the bound cuts `text` into. No BPE or SentencePiece token crosses a pre-tokenizer boundary, so a real
 * count is at least this many tokens for the families above (the tests' stand-in for an honest count).
 */
export function pretokenize(text: string): string[] {
  return text.match(piecePattern) ?? []
}

const isUpper = (c: number) => c >= 0x41 && c <= 0x5a
const isLower = (c: number) => c >= 0x61 && c <= 0x7a
const isLetter = (c: number) => isUpper(c) || isLower(c)
const isDigit = (c: number) => c >= 0x30 && c <= 0x39
/** JavaScript's `\s` within ASCII: tab, newline, vertical tab, form feed, carriage return, space. */
const isBlankSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d)
const nonAscii = /[\u0080-\uffff]/

/** Where the word alternative of `piecePattern` that starts at `j` (a letter) ends, for ASCII text. */
function wordEnd(text: string, j: number): number {
  const n = text.length
  let i = j
  if (isUpper(text.charCodeAt(i))) {
    while (i < n && isUpper(text.charCodeAt(i))) i++
    // `\p{Lu}+(?!\p{Ll})` gives one capital back to a lowercase run after it ("HTTPServer": "HTTP", "Server").
    if (i >= n || !isLower(text.charCodeAt(i))) return i
    if (i - j >= 2) return i - 1
  }
  while (i < n && isLower(text.charCodeAt(i))) i++
  return i
}

/** The bound of one piece, `text.slice(start, end)`, of ASCII text: `pieceBound` without the slice. */
function asciiPieceBound(text: string, start: number, end: number, family: TokenizerFamily): number {
  let blanks = 0
  let other = 0
  let i = start
  if (family.spaceJoinsWord && end - start > 1 && text.charCodeAt(start) === 0x20 && isLetter(text.charCodeAt(start + 1))) i++
  for (; i < end; i++) {
    const c = text.charCodeAt(i)
    if (isLetter(c) || c === 0x20 || c === 0x09) blanks++
    else other++
  }
  return Math.max(1, Math.ceil(blanks / family.bytesPerToken) + other)
}

/**
 * `maxTokensFor` for ASCII text, cutting the pieces `piecePattern` cuts by hand (the test suite holds the two to
 * the same answers): tool schemas and JSON arguments are ASCII, and the regex's Unicode classes cost 5-10x more.
 */
function maxTokensForAscii(text: string, family: TokenizerFamily): number {
  const n = text.length
  let total = 0
  let i = 0
  while (i < n) {
    const c = text.charCodeAt(i)
    let end = i + 1
    if (isLetter(c)) end = wordEnd(text, i)
    else if (isDigit(c)) end = i + 1
    else if (i + 1 < n && c !== 0x0a && c !== 0x0d && isLetter(text.charCodeAt(i + 1))) end = wordEnd(text, i + 1)
    else if (isBlankSpace(c)) while (end < n && isBlankSpace(text.charCodeAt(end))) end++
    else while (end < n && !isBlankSpace(text.charCodeAt(end)) && !isLetter(text.charCodeAt(end)) && !isDigit(text.charCodeAt(end))) end++
    total += asciiPieceBound(text, i, end, family)
    i = end
  }
  return total
}

/** The most tokens `text` can honestly take in `family`'s vocabulary (see the header). */
export function maxTokensFor(text: string, family: TokenizerFamily): number {
  return nonAscii.test(text) ? maxTokensByPattern(text, family) : maxTokensForAscii(text, family)
}

/** `maxTokensFor` through `piecePattern` itself: the rule's definition, and its path for text beyond ASCII. */
export function maxTokensByPattern(text: string, family: TokenizerFamily): number {
  let total = 0
  let covered = 0
  for (const m of text.matchAll(piecePattern)) {
    // Every character belongs to one of the alternatives; a gap would still be paid for byte by byte.
    if (m.index > covered) total += encoder.encode(text.slice(covered, m.index)).length
    total += pieceBound(m[0], family)
    covered = m.index + m[0].length
  }
  if (covered < text.length) total += encoder.encode(text.slice(covered)).length
  return total
}

/**
 * Tokens a tool call may take beyond its name and arguments: the template's call markers and the JSON around them
 * (`<tool_call>{"name": …, "arguments": …}</tool_call>` and the like), which the assembled call does not show. A
 * known vocabulary spends a token or two per marker; a byte-level one (family `any`) pays every byte of them, about
 * 50 for the Hermes style, so it gets 64.
 */
export const templateTokensPerToolCall = 24
export const byteTemplateTokensPerToolCall = 64

/**
 * Tokens a structured answer (`response_format` json_schema or json_object) may take beyond its text: the grammar
 * lets the model write whitespace and a ```json fence around the object, which engines strip from what they send.
 */
export const structuredOutputSlackTokens = 16

/**
 * Prompt tokens a template adds when the job offers tools: the instructions and markers around the tool list (the
 * list itself is counted as the JSON of `params`). Qwen 2.5's and Hermes' blocks are about 100 tokens; a byte-level
 * vocabulary pays their bytes, about 400.
 */
export const toolsTemplateTokens = 192
export const byteToolsTemplateTokens = 512

const isByteLevel = (family: TokenizerFamily) => family.bytesPerToken === 1 && !family.spaceJoinsWord

export type MaxCompletionTokensParameters = {
  model: string
  /** The text the node streamed for this job (v1), or its assembled structured output (v2). */
  output: string | StructuredOutput
  /** The job's stop sequences: the one that matched is generated and counted, then cut from the output. */
  stop?: readonly string[] | undefined
  /** The job asked for a response format (json_schema, json_object): structuredOutputSlackTokens more. */
  structured?: boolean | undefined
}

export function maxCompletionTokens({ model, output, stop = [], structured = false }: MaxCompletionTokensParameters): number {
  const family = tokenizerFamily(model)
  const cut = Math.max(0, ...stop.map((s) => maxTokensFor(s, family))) + (structured ? structuredOutputSlackTokens : 0)
  if (typeof output !== 'string') {
    // Reasoning and tool calls are output too: a call the model wrote costs what its text costs, plus its markers.
    const markers = isByteLevel(family) ? byteTemplateTokensPerToolCall : templateTokensPerToolCall
    let total = maxTokensFor(output.text, family) + maxTokensFor(output.reasoning, family)
    for (const c of output.toolCalls) total += maxTokensFor(c.function.name, family) + maxTokensFor(c.function.arguments, family) + markers
    return total + cut + completionSlackTokens
  }
  const exact = family.completionTokens?.(output)
  return (exact ?? maxTokensFor(output, family)) + cut + completionSlackTokens
}

export type MaxPromptTokensParameters = {
  model: string
  messages: readonly ChatMessage[]
  /**
   * Generation parameters the node's template may render into the prompt (tools, response formats and any other
   * pass-through field): all of them are counted, as their JSON.
   */
  params?: Record<string, unknown> | undefined
}

export function maxPromptTokens({ model, messages, params }: MaxPromptTokensParameters): number {
  const family = tokenizerFamily(model)
  let total = templateTokensPerPrompt
  for (const m of messages) {
    total += templateTokensPerMessage + maxTokensFor(m.role, family) + maxTokensFor(messageText(m), family) + maxTokensFor(messageExtras(m), family)
    // An image costs what its encoder makes of it, which no byte count bounds tightly: its base64 length bounds it.
    for (const url of messageImages(m)) total += url.length
  }
  const rendered = Object.fromEntries(Object.entries(params ?? {}).filter(([k, v]) => v !== undefined && !scalarFields.has(k)))
  if (Object.keys(rendered).length > 0) total += maxTokensFor(JSON.stringify(rendered), family)
  if (Array.isArray(params?.tools) && params.tools.length > 0) total += isByteLevel(family) ? byteToolsTemplateTokens : toolsTemplateTokens
  return total
}

/** Sampling and length settings, which no template renders into the prompt. */
const scalarFields: ReadonlySet<string> = new Set(['max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'top_k', 'min_p', 'seed', 'stop', 'stream', 'n', 'presence_penalty', 'frequency_penalty', 'repeat_penalty'])
