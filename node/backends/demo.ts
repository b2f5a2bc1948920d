// The built-in DEMO backend: in-process, no HTTP, no model. It streams a canned reply that says it is a
// demo, at a realistic pace (default ~150 ms to first token, then ~40 tokens/s), so people can try the
// network on a laptop with no GPU. Model id `demo`, health version 'infernet-demo', baseUrl 'demo://'.
// Deterministic at temperature 0 (or unset): the same messages give the same reply; with continueFinal it continues
// its own partial reply. It honours the parameters a person would try on it, visibly: `max_tokens` cuts the reply
// (finish `length`), `stop` ends it before the first stop sequence, and a temperature above 0 shuffles its
// sentences (reproducibly with `seed`) and says so.
import { BackendError } from '../errors/backend.ts'
import { messageText } from '../../src/protocol/chatMessage.ts'
import { splitTokens } from './splitTokens.ts'
import { refuseUnsupported } from './unsupported.ts'
import type { Backend, ChatChunk, ChatRequest, ModelInfo } from './types.ts'
import { estimatePromptTokens } from './usage.ts'

export const demoModelId = 'demo'

export type DemoBackendParameters = {
  tokensPerSecond?: number | undefined
  ttftMs?: number | undefined
  /** Override the reply (tests). */
  reply?: string | ((request: ChatRequest) => string) | undefined
  now?: (() => number) | undefined
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined
  /** Random numbers in [0, 1) for temperature > 0 without a seed (tests inject one). */
  random?: (() => number) | undefined
}

const paragraphs = [
  'This reply comes from the Infernet demo backend, not from a language model.',
  'It streams canned text at a realistic pace so you can watch a job travel from a client, through the network, to this node and back.',
  'To serve real completions, install a backend such as Ollama and restart the node with INFERNET_BACKEND set to it.',
  'Everything else you see here is real: the signed job request, the encrypted prompt, the token stream and the usage report that prices the job.',
]

/** Pure: the demo reply for a request (a rotation of the paragraphs picked by a hash of the conversation). */
export function demoReply(request: ChatRequest): string {
  const msgs = request.continueFinal && request.messages.at(-1)?.role === 'assistant' ? request.messages.slice(0, -1) : request.messages
  let h = 0
  for (const m of msgs) {
    const content = messageText(m)
    for (let i = 0; i < content.length; i++) h = (h * 31 + content.charCodeAt(i)) >>> 0
  }
  const start = 1 + (h % (paragraphs.length - 1))
  return [paragraphs[0], ...paragraphs.slice(start), ...paragraphs.slice(1, start)].join(' ')
}

/** mulberry32: a small seeded generator, so `seed` makes a sampled demo reply reproducible. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Pure: the demo reply "sampled" at a temperature above 0: the sentences shuffled, and a note that says so. */
export function sampledDemoReply(text: string, temperature: number, random: () => number): string {
  const sentences = text.split(/(?<=\.) /)
  for (let i = sentences.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[sentences[i], sentences[j]] = [sentences[j]!, sentences[i]!]
  }
  return `${sentences.join(' ')} (At temperature ${temperature} this demo shuffles its sentences; at 0 it always says the same.)`
}

/** Pure: the text before the first stop sequence, and whether one was found. */
export function cutAtStop(text: string, stop: readonly string[] | undefined): { text: string; stopped: boolean } {
  let at = -1
  for (const s of stop ?? []) {
    if (s === '') continue
    const i = text.indexOf(s)
    if (i >= 0 && (at < 0 || i < at)) at = i
  }
  return at < 0 ? { text, stopped: false } : { text: text.slice(0, at), stopped: true }
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new BackendError({ reason: 'cancelled', backend: 'demo' }))
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(t)
      reject(new BackendError({ reason: 'cancelled', backend: 'demo' }))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })

export function createDemoBackend(parameters: DemoBackendParameters = {}): Backend {
  const { tokensPerSecond = 40, ttftMs = 150, reply, now = () => performance.now(), sleep = defaultSleep, random = Math.random } = parameters
  const model: ModelInfo = { id: demoModelId, backendId: demoModelId, loaded: true, contextLength: 8192, sizeBytes: 0 }
  return {
    kind: 'demo',
    baseUrl: 'demo://',
    async health() {
      return { ok: true, version: 'infernet-demo' }
    },
    async listModels() {
      return [model]
    },
    async loadedModels() {
      return [demoModelId]
    },
    async resolveModel(publicId) {
      return publicId === demoModelId ? model : undefined
    },
    async *chat(request, options): AsyncGenerator<ChatChunk, void, undefined> {
      const signal = options?.signal
      if (request.model !== demoModelId) {
        throw new BackendError({ reason: 'model-not-found', backend: 'demo', details: `the demo backend only serves the model "${demoModelId}"` })
      }
      // It writes canned prose: no tools, formats, images or logprobs.
      refuseUnsupported(request, 'demo', new Set())
      let text = typeof reply === 'function' ? reply(request) : (reply ?? demoReply(request))
      const temperature = request.params?.temperature
      if (reply === undefined && temperature !== undefined && temperature > 0) {
        const seed = request.params?.seed
        text = sampledDemoReply(text, temperature, seed === undefined ? random : seededRandom(seed))
      }
      text = cutAtStop(text, request.params?.stop).text
      const last = request.messages.at(-1)
      if (request.continueFinal && last?.role === 'assistant' && text.startsWith(messageText(last))) text = text.slice(messageText(last).length)
      let tokens = splitTokens(text)
      let finishReason = 'stop'
      const maxTokens = request.params?.max_tokens
      if (maxTokens !== undefined && tokens.length > maxTokens) {
        tokens = tokens.slice(0, Math.max(0, maxTokens))
        finishReason = 'length'
      }
      await sleep(ttftMs, signal)
      // Paced by elapsed time, not one timer per token: after each wake-up every token that is due goes out.
      const start = now()
      let sent = 0
      while (sent < tokens.length) {
        if (signal?.aborted) throw new BackendError({ reason: 'cancelled', backend: 'demo' })
        const due = Math.min(tokens.length, 1 + Math.floor(((now() - start) * tokensPerSecond) / 1000))
        while (sent < due) yield { type: 'delta', text: tokens[sent++] as string }
        if (sent < tokens.length) await sleep(Math.max(1, ((sent * 1000) / tokensPerSecond) - (now() - start)), signal)
      }
      yield { type: 'done', usage: { promptTokens: estimatePromptTokens(request.messages), completionTokens: tokens.length }, finishReason }
    },
  }
}
