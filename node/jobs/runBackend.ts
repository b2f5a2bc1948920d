// One job's backend call: the stream of deltas goes into the job's output as it comes, timed for the node's own
// metrics (time to first token, and the node's share of it). Throws a BackendError when the stream was cancelled
// or ended without its final chunk; what that means for the job is the executor's ending table (endings.ts).
import { BackendError } from '../errors/backend.ts'
import type { Backend, ChatRequest, Usage } from '../backends/types.ts'
import type { RollingMetrics } from '../metrics.ts'
import type { JobOutput } from './output.ts'

export type RunBackendParameters = {
  backend: Backend
  request: ChatRequest
  signal: AbortSignal
  output: JobOutput
  metrics: RollingMetrics
  /** The run's clock (ms) and its start: ttftMs is measured on it. */
  now: () => number
  started: number
  /** The first text is out (the executor then publishes the processing status). */
  onFirstText: () => void
}

export type RunBackendReturnType = { usage: Usage; finishReason: string; ttftMs: number }

export async function runBackend({ backend, request, signal, output, metrics, now, started, onFirstText }: RunBackendParameters): Promise<RunBackendReturnType> {
  let ttftMs = -1
  let usage: Usage = { promptTokens: 0, completionTokens: 0 }
  let finishReason = 'stop'
  let done = false
  for await (const chunk of backend.chat(request, { signal })) {
    if (signal.aborted) break
    if (chunk.type === 'delta') {
      if (ttftMs < 0 && (chunk.text || chunk.reasoning || chunk.tool_calls)) {
        ttftMs = now() - started
        // Node overhead on the TTFT path, part 2: from the first token's arrival to its frame being written to the
        // client's socket.
        const t = performance.now()
        if (output.push(chunk)) setImmediate(onFirstText)
        if (output.listeners > 0) metrics.recordEgress(performance.now() - t)
      } else if (output.push(chunk)) setImmediate(onFirstText)
    } else {
      usage = chunk.usage
      finishReason = chunk.finishReason
      done = true
    }
  }
  if (signal.aborted || !done) throw new BackendError({ reason: signal.aborted ? 'cancelled' : 'stream-error', backend: backend.kind })
  return { usage, finishReason, ttftMs: Math.max(0, ttftMs) }
}
