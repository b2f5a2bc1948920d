// Tiny Llama-architecture models for the real-engine tests: deterministic random weights from a seed (same
// spec, same bytes), a made-up GPT-2-style byte-level vocabulary (every byte is a token, so any prompt encodes,
// plus whole words so the output reads as words) and a ChatML template. The text is gibberish made of real
// tokens, which is what the wire tests need: usage, stop/length, logprobs, cancellation, identity, throughput.
//
// Random weights never stop on their own and would emit stray bytes (invalid UTF-8). So one residual dimension
// is held constant: it is 1 in every token embedding and no layer writes it (its rows in attn_output and
// ffn_down are zero), so after the final RMSNorm it is nearly the same value at every position, and its column
// in output.weight acts as a per-token logit bias. Control tokens and non-ASCII bytes get a large negative
// bias; `eosBias` decides whether and how soon the model ends its answer.
import { writeFileSync } from 'node:fs'
import { encodeGguf, type GgufFile, type GgufTensor, type GgufValue } from './gguf.ts'

export type TinyModelSpec = {
  /** general.name; the engine's model id is the file name. */
  name: string
  seed: number
  embedding?: number | undefined
  layers?: number | undefined
  heads?: number | undefined
  headsKv?: number | undefined
  feedForward?: number | undefined
  contextLength?: number | undefined
  /** Weight matrices' type; norms are always f32. Default f32. */
  weights?: 'f32' | 'f16' | undefined
  /**
   * Logit bias of the end-of-turn token, in the units of the other biases (words +2, plain ASCII 0).
   * Default -60: the model never ends by itself (a request runs to max_tokens, finish_reason "length").
   */
  eosBias?: number | undefined
  /** The chat template: ChatML (default), or ChatML that renders tools, tool calls and tool results (`toolsTemplate`). */
  template?: 'chatml' | 'tools' | undefined
}

export const tinyModels = {
  /** The reference model. */
  a: { name: 'tiny-a', seed: 1 },
  /** Same shape, other weights: a different model. */
  b: { name: 'tiny-b', seed: 2 },
  /** Ends its answers after a few dozen tokens when sampled (temperature 1: 18-42 tokens over 5 seeds), finish_reason "stop". Greedy decoding falls into a loop and runs to max_tokens. */
  eos: { name: 'tiny-eos', seed: 3, eosBias: 7 },
  /** About 25M parameters, for throughput figures. */
  large: { name: 'tiny-25m', seed: 4, embedding: 512, layers: 8, heads: 8, headsKv: 4, feedForward: 1408, weights: 'f16' },
  /**
   * Renders tools (`toolsTemplate`), so llama-server's tool calling works on it. Random weights write words before
   * a call and never stop after one, and llama-server's grammar for tool_choice "required" lets text come first and
   * more calls follow; so this model prefers ending (+24) over opening a call (`toolsVocabulary`, +16) over words
   * (+2). Wherever the engine may end, it ends: a plain or "auto" answer is empty, a "required" answer is
   * exactly one call (the grammar forbids the end until a call is made), a json_schema answer is the object.
   */
  tools: { name: 'tiny-tools', seed: 1, template: 'tools', eosBias: 24 },
} satisfies Record<string, TinyModelSpec>

const words = (
  'the of and to in is was that for on with as by at from his her they be this which or are an had not one but ' +
  'all were there when what we can been more if their has would who will no out so some them into time only ' +
  'up other new its about than two may then first any like now my over such our man me even most made after ' +
  'also did many before must through back years where much your way well down should because each just those ' +
  'people how too little state good very make world still own see men work long get here between both life ' +
  'being under never day same another know while last might us great old year off come since against go came ' +
  'right used take three node network token relay model answer stream signed job price key event'
).split(' ')

/** GPT-2's reversible byte <-> printable character map (bytes_to_unicode). */
function byteToUnicode(): string[] {
  const direct = new Set<number>()
  for (let b = 0x21; b <= 0x7e; b++) direct.add(b)
  for (let b = 0xa1; b <= 0xac; b++) direct.add(b)
  for (let b = 0xae; b <= 0xff; b++) direct.add(b)
  const out: string[] = []
  let extra = 0
  for (let b = 0; b < 256; b++) out.push(String.fromCodePoint(direct.has(b) ? b : 256 + extra++))
  return out
}

export const tinyVocabulary = (() => {
  const tokens = [...byteToUnicode()]
  const bias: number[] = []
  for (let b = 0; b < 256; b++) {
    const printable = b >= 0x20 && b <= 0x7e
    bias.push(printable ? 0 : b === 0x0a ? -2 : -60)
  }
  for (const w of words) {
    tokens.push(`\u0120${w}`)
    bias.push(2)
  }
  const special = { endOfText: tokens.length, imStart: tokens.length + 1, imEnd: tokens.length + 2 }
  tokens.push('<|endoftext|>', '<|im_start|>', '<|im_end|>')
  bias.push(-60, -60, 0)
  const types = tokens.map((_, i) => (i >= special.endOfText ? 3 : 1)) // 1 normal, 3 control
  return { tokens, bias, types, special }
})()

/**
 * The tools model's vocabulary: the same plus the pieces of a call's frame as whole tokens, the way a real
 * vocabulary holds them (a byte per token would cost more than the usage bounds allow for a call's markers, see
 * src/protocol/usageBounds.ts). The opening piece holds the whole marker llama-server's parser looks for,
 * `<tool_call>` and its newline; without the newline, text before a call could contain it. Blanks and the backtick
 * are made unlikely (-8): the grammar lets whitespace and a ```json fence around JSON, which the parser strips, so
 * no client would see those tokens counted in the usage.
 */
export const toolsVocabulary = (() => {
  const opening = tinyVocabulary.tokens.length
  const frame: [string, number][] = [
    ['<tool_call>\n{"name": "', 16],
    ['", "arguments": ', 8],
    ['}\n</tool_call>', 8],
  ]
  const bytes = byteToUnicode()
  const encode = (text: string) => [...Buffer.from(text)].map((b) => bytes[b]!).join('')
  const unlikely = new Set([0x20, 0x09, 0x0a, 0x60])
  return {
    tokens: [...tinyVocabulary.tokens, ...frame.map(([t]) => encode(t))],
    bias: [...tinyVocabulary.bias.map((v, i) => (unlikely.has(i) ? -8 : v)), ...frame.map(([, b]) => b)],
    types: [...tinyVocabulary.types, ...frame.map(() => 1)],
    special: { ...tinyVocabulary.special, opening },
  }
})()

export const chatmlTemplate =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

// Hermes-style tool use on ChatML (the layout Qwen 2.5 and NousResearch's Hermes models use, written here): the
// tools, one JSON object a line, inside <tools></tools> in the system turn, without the prose instructions real
// templates add (random weights do not read them, and on a byte-per-token vocabulary they would cost more prompt
// tokens than the usage bounds allow a template, src/protocol/usageBounds.ts); an assistant's calls as
// <tool_call>{"name":..,"arguments":..}</tool_call>; consecutive tool results as one user turn of
// <tool_response> blocks. llama-server's differential autoparser finds the call markers by rendering this template
// with and without a call, and for tool_choice "required" forces a grammar of exactly such a call.
export const toolsTemplate =
  '{%- if tools -%}' +
  "{{- '<|im_start|>system\\n' -}}" +
  "{%- if messages[0].role == 'system' -%}{{- messages[0].content + '\\n\\n' -}}{%- endif -%}" +
  "{{- '<tools>' -}}" +
  "{%- for tool in tools -%}{{- '\\n' + (tool | tojson) -}}{%- endfor -%}" +
  "{{- '\\n</tools><|im_end|>\\n' -}}" +
  "{%- elif messages[0].role == 'system' -%}" +
  "{{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' -}}" +
  '{%- endif -%}' +
  '{%- for message in messages -%}' +
  "{%- if message.role == 'system' and loop.first -%}" +
  "{%- elif message.role == 'assistant' and message.tool_calls -%}" +
  "{{- '<|im_start|>assistant' -}}" +
  "{%- if message.content -%}{{- '\\n' + message.content -}}{%- endif -%}" +
  '{%- for call in message.tool_calls -%}' +
  '{%- if call.function is defined -%}{%- set call = call.function -%}{%- endif -%}' +
  "{{- '\\n<tool_call>\\n{\"name\": \"' + call.name + '\", \"arguments\": ' -}}" +
  '{%- if call.arguments is string -%}{{- call.arguments -}}{%- else -%}{{- call.arguments | tojson -}}{%- endif -%}' +
  "{{- '}\\n</tool_call>' -}}" +
  '{%- endfor -%}' +
  "{{- '<|im_end|>\\n' -}}" +
  "{%- elif message.role == 'tool' -%}" +
  "{%- if loop.first or loop.previtem.role != 'tool' -%}{{- '<|im_start|>user' -}}{%- endif -%}" +
  "{{- '\\n<tool_response>\\n' + message.content + '\\n</tool_response>' -}}" +
  "{%- if loop.last or loop.nextitem.role != 'tool' -%}{{- '<|im_end|>\\n' -}}{%- endif -%}" +
  '{%- else -%}' +
  "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' -}}" +
  '{%- endif -%}' +
  '{%- endfor -%}' +
  "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"

/** xoshiro128** seeded through splitmix32: fast, and the same stream on every machine. */
function createRandom(seed: number): () => number {
  let x = seed >>> 0
  const split = () => {
    x = (x + 0x9e3779b9) >>> 0
    let z = x
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
  const s = [split(), split(), split(), split()]
  return () => {
    const result = Math.imul(((Math.imul(s[1]!, 5) << 7) | (Math.imul(s[1]!, 5) >>> 25)) >>> 0, 9) >>> 0
    const t = (s[1]! << 9) >>> 0
    s[2]! ^= s[0]!
    s[3]! ^= s[1]!
    s[1]! ^= s[2]!
    s[0]! ^= s[3]!
    s[2]! ^= t
    s[3] = ((s[3]! << 11) | (s[3]! >>> 21)) >>> 0
    return (result + 0.5) / 4294967296
  }
}

function createGaussian(seed: number): () => number {
  const uniform = createRandom(seed)
  let spare: number | undefined
  return () => {
    if (spare !== undefined) {
      const v = spare
      spare = undefined
      return v
    }
    const r = Math.sqrt(-2 * Math.log(uniform()))
    const a = 2 * Math.PI * uniform()
    spare = r * Math.sin(a)
    return r * Math.cos(a)
  }
}

/** The model's file bytes. Same spec, same bytes. */
export function tinyModelBytes(spec: TinyModelSpec): Buffer {
  return encodeGguf(tinyModelFile(spec))
}

export function writeTinyModel(path: string, spec: TinyModelSpec): string {
  writeFileSync(path, tinyModelBytes(spec))
  return path
}

export function tinyModelFile(spec: TinyModelSpec): GgufFile {
  const n = spec.embedding ?? 64
  const layers = spec.layers ?? 2
  const heads = spec.heads ?? 4
  const headsKv = spec.headsKv ?? 2
  const ff = spec.feedForward ?? 128
  const ctx = spec.contextLength ?? 4096
  const weights = spec.weights ?? 'f32'
  const headDim = n / heads
  if (!Number.isInteger(headDim) || heads % headsKv !== 0) throw new Error(`tiny model ${spec.name}: ${n} dims do not split into ${heads} heads over ${headsKv} kv heads`)
  const { tokens, bias, types, special } = spec.template === 'tools' ? toolsVocabulary : tinyVocabulary
  const vocab = tokens.length
  const gauss = createGaussian(spec.seed)
  const matrix = (name: string, cols: number, rows: number, scale: number, zeroRow?: number): GgufTensor => {
    const data = new Float32Array(cols * rows)
    for (let i = 0; i < data.length; i++) data[i] = gauss() * scale
    if (zeroRow !== undefined) data.fill(0, zeroRow * cols, (zeroRow + 1) * cols)
    return { name, dims: [cols, rows], type: weights, data }
  }
  const ones = (name: string): GgufTensor => ({ name, dims: [n], type: 'f32', data: new Float32Array(n).fill(1) })

  // Dimension 0 is the constant one: 8 in the embeddings against unit noise elsewhere keeps it near 5 after
  // the final norm, so a bias b becomes b/5 in its output column.
  const constant = 8
  const embed = matrix('token_embd.weight', n, vocab, 1)
  for (let t = 0; t < vocab; t++) embed.data[t * n] = constant
  const output = matrix('output.weight', n, vocab, 0.25)
  const normalized = constant / Math.sqrt((constant * constant + (n - 1) * 1.44) / n)
  for (let t = 0; t < vocab; t++) output.data[t * n] = (t === special.imEnd ? (spec.eosBias ?? -60) : bias[t]!) / normalized

  const tensors: GgufTensor[] = [embed, ones('output_norm.weight'), output]
  const inScale = 1 / Math.sqrt(n)
  for (let i = 0; i < layers; i++) {
    tensors.push(
      ones(`blk.${i}.attn_norm.weight`),
      matrix(`blk.${i}.attn_q.weight`, n, n, inScale),
      matrix(`blk.${i}.attn_k.weight`, n, headDim * headsKv, inScale),
      matrix(`blk.${i}.attn_v.weight`, n, headDim * headsKv, inScale),
      matrix(`blk.${i}.attn_output.weight`, n, n, inScale, 0),
      ones(`blk.${i}.ffn_norm.weight`),
      matrix(`blk.${i}.ffn_gate.weight`, n, ff, inScale),
      matrix(`blk.${i}.ffn_up.weight`, n, ff, inScale),
      matrix(`blk.${i}.ffn_down.weight`, ff, n, 1 / Math.sqrt(ff), 0),
    )
  }
  const u32 = (value: number): GgufValue => ({ type: 'u32', value })
  const metadata: [string, GgufValue][] = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: spec.name }],
    ['general.file_type', u32(weights === 'f16' ? 1 : 0)],
    ['llama.context_length', u32(ctx)],
    ['llama.embedding_length', u32(n)],
    ['llama.block_count', u32(layers)],
    ['llama.feed_forward_length', u32(ff)],
    ['llama.attention.head_count', u32(heads)],
    ['llama.attention.head_count_kv', u32(headsKv)],
    ['llama.rope.dimension_count', u32(headDim)],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: 1e-5 }],
    ['llama.vocab_size', u32(vocab)],
    ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: 'string', value: 'default' }],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: tokens }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'i32', value: types }],
    ['tokenizer.ggml.merges', { type: 'array', itemType: 'string', value: [] }],
    ['tokenizer.ggml.bos_token_id', u32(special.endOfText)],
    ['tokenizer.ggml.eos_token_id', u32(special.imEnd)],
    ['tokenizer.ggml.padding_token_id', u32(special.endOfText)],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: false }],
    ['tokenizer.chat_template', { type: 'string', value: spec.template === 'tools' ? toolsTemplate : chatmlTemplate }],
    // llama.cpp's tokenizer would otherwise put a space before text that follows a special token, which breaks
    // grammar-constrained sampling after one ("Failed to initialize samplers"). Only on the tools model, so the
    // other models' bytes (and the digests pinned on them) stay as they were.
    ...(spec.template === 'tools' ? ([['tokenizer.ggml.add_space_prefix', { type: 'bool', value: false }]] as [string, GgufValue][]) : []),
  ]
  return { metadata, tensors }
}
