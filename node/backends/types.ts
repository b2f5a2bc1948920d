// The one interface every backend adapter implements. The daemon and executor only see these normalized
// shapes; backends differ only inside node/backends/ ("the API does not change with the backend").
import type { ModelFeature } from '../../src/protocol/features.ts'
import type { GenerationParams } from '../../src/protocol/generationParams.ts'

export const backendKinds = ['ollama', 'vllm', 'sglang', 'max', 'llamacpp', 'demo'] as const
export type BackendKind = (typeof backendKinds)[number]

export type { ChatMessage } from '../../src/protocol/chatMessage.ts'
import type { ChatMessage } from '../../src/protocol/chatMessage.ts'
import type { StructuredDelta } from '../../src/protocol/streamDelta.ts'
import type { ResultUsage } from '../../src/protocol/jobResult.ts'

export type ChatRequest = {
  /** Public model id as the network knows it. */
  model: string
  messages: ChatMessage[]
  /** The job's generation parameters exactly as its payload carries them; each adapter translates them (alone). */
  params?: GenerationParams | undefined
  /** The last message is a partial assistant message to continue (stream resumption). */
  continueFinal?: boolean | undefined
}

/** Tokens in and out, with the details where the engine says them or the adapter counts them (the result's shape). */
export type Usage = ResultUsage

/** An embeddings job as the adapter gets it: the texts, in order, and the vector length asked for, if any. */
export type EmbedRequest = { model: string; input: string[]; dimensions?: number | undefined }
/** One vector per input, in input order; the engine's token count when it gives one. */
export type EmbedResult = { embeddings: number[][]; promptTokens?: number | undefined }

export type ChatChunk =
  /**
   * Output as it streams: text, and for a structured (v2) job reasoning, tool-call fragments (OpenAI's streaming
   * shape, whatever the engine's) and logprobs. An adapter fills only what its engine produced.
   */
  | ({ type: 'delta'; text: string } & Omit<StructuredDelta, 'text'>)
  /** Always last; usage is counted by the adapter if the backend omits it. */
  | { type: 'done'; usage: Usage; finishReason: string }

export type ModelInfo = {
  id: string
  backendId: string
  sizeBytes?: number | undefined
  loaded?: boolean | undefined
  contextLength?: number | undefined
  /** Identity of the weights (src/protocol/modelDigest.ts), where the engine lets the node know it. */
  digest?: string | undefined
  /** What the model supports (src/protocol/features.ts), as the engine says it; undefined when it does not say. */
  features?: readonly ModelFeature[] | undefined
}

export type BackendHealth = { ok: true; version?: string | undefined } | { ok: false; reason: string; retryAfterMs?: number | undefined }

export type RequestOptions = { signal?: AbortSignal | undefined }

export type PullProgress = { status: string; completed?: number; total?: number }

export interface Backend {
  readonly kind: BackendKind
  readonly baseUrl: string
  health(options?: RequestOptions): Promise<BackendHealth>
  listModels(options?: RequestOptions): Promise<ModelInfo[]>
  /** Public ids currently in memory. */
  loadedModels(options?: RequestOptions): Promise<string[]>
  /** 'llama3' and 'llama3:latest' are the same model on Ollama. */
  resolveModel(publicId: string): Promise<ModelInfo | undefined>
  chat(request: ChatRequest, options?: RequestOptions): AsyncIterable<ChatChunk>
  /** Embeds texts (an engine without an embeddings API leaves it out, and its node refuses embeddings jobs). */
  embed?(request: EmbedRequest, options?: RequestOptions): Promise<EmbedResult>
  pull?(
    model: string,
    options?: { signal?: AbortSignal | undefined; onProgress?: ((p: PullProgress) => void) | undefined },
  ): Promise<void>
}

/** What every HTTP adapter constructor takes. */
export type HttpBackendParameters = {
  baseUrl?: string | undefined
  fetch?: typeof fetch | undefined
  /** Bounds the time to first byte and every idle gap between chunks. Default 60 000 ms. */
  timeoutMs?: number | undefined
}
