// Rolling figures over the most recent jobs: time to first token and output tokens/s per stream. They feed the
// heartbeat and `infernet status`; null until the first job has finished.
export type JobSample = { ttftMs: number; completionTokens: number; durationMs: number }

export class RollingMetrics {
  readonly #samples: JobSample[] = []
  jobs = 0
  failures = 0
  /** Completion tokens of every finished job. */
  tokensOut = 0
  constructor(readonly windowSize = 50) {}

  record(sample: JobSample): void {
    this.jobs++
    this.tokensOut += sample.completionTokens
    this.#samples.push(sample)
    if (this.#samples.length > this.windowSize) this.#samples.shift()
  }

  recordFailure(): void {
    this.failures++
  }

  /** Median TTFT in ms. */
  ttftMs(): number | null {
    return median(this.#samples.map((s) => s.ttftMs))
  }

  /** Median output tokens/s per stream, measured after the first token. */
  tps(): number | null {
    return median(
      this.#samples
        .filter((s) => s.completionTokens > 1 && s.durationMs > s.ttftMs)
        .map((s) => ((s.completionTokens - 1) * 1000) / (s.durationMs - s.ttftMs)),
    )
  }
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const m = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return Math.round(m * 10) / 10
}
