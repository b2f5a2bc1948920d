// One embeddings job's backend call: the engine's vectors are checked against the job (one per input, one length,
// the length asked for, the output bound), encoded as the job's output text (src/protocol/embeddingJob.ts) and
// written to its output in slices, each flushed on its own, so no direct frame or relay chunk event outgrows its
// limit whatever the batching intervals. A vector the job cannot carry ends the job with a BackendError naming why.
import { decodeEmbeddings, embeddingSlices, encodeEmbeddings, maxEmbeddingValues, type JobPayloadV3 } from '../../src/protocol/embeddingJob.ts'
import { BackendError } from '../errors/backend.ts'
import type { Backend, Usage } from '../backends/types.ts'
import type { RunBackendReturnType } from './runBackend.ts'
import type { JobOutput } from './output.ts'

export type RunEmbeddingParameters = {
  backend: Backend
  /** The engine's id for the model. */
  model: string
  payload: JobPayloadV3
  signal: AbortSignal
  output: JobOutput
  now: () => number
  started: number
  onFirstText: () => void
}

export async function runEmbedding({ backend, model, payload, signal, output, now, started, onFirstText }: RunEmbeddingParameters): Promise<RunBackendReturnType> {
  if (!backend.embed) throw new BackendError({ reason: 'bad-request', backend: backend.kind, details: `the ${backend.kind} adapter has no embeddings API` })
  const result = await backend.embed({ model, input: payload.input, ...(payload.dimensions !== undefined ? { dimensions: payload.dimensions } : {}) }, { signal })
  if (signal.aborted) throw new BackendError({ reason: 'cancelled', backend: backend.kind })
  const values = result.embeddings.reduce((n, v) => n + v.length, 0)
  if (values > maxEmbeddingValues) {
    throw new BackendError({ reason: 'bad-request', backend: backend.kind, details: `the engine returned ${values} values; a job carries at most ${maxEmbeddingValues} (maxEmbeddingValues): send fewer inputs` })
  }
  const text = encodeEmbeddings(result.embeddings)
  // The node signs for what it sends: the same checks the client makes, so a wrong answer is the engine's error, not a bad result.
  const checked = decodeEmbeddings(text, { count: payload.input.length, dimensions: payload.dimensions })
  if (!checked.ok) {
    const cannotShorten = payload.dimensions !== undefined && /dimensions, the job asked/.test(checked.reason)
    throw new BackendError({ reason: cannotShorten ? 'bad-request' : 'stream-error', backend: backend.kind, details: cannotShorten ? `${checked.reason}: this model does not shorten its embeddings (dimensions)` : checked.reason })
  }
  const ttftMs = now() - started
  for (const [i, slice] of embeddingSlices(text).entries()) {
    if (signal.aborted) throw new BackendError({ reason: 'cancelled', backend: backend.kind })
    if (output.push({ text: slice }) && i === 0) setImmediate(onFirstText)
    await output.flushAll()
  }
  const usage: Usage = { promptTokens: result.promptTokens ?? payload.input.reduce((n, s) => n + s.length, 0), completionTokens: 0 }
  return { usage, finishReason: 'stop', ttftMs }
}
