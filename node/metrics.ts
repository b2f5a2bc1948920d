// Rolling figures over the most recent jobs: time to first token and output tokens/s per stream. They feed the
// heartbeat and `infernet status`; null until the first job has finished.
export type JobSample = { ttftMs: number; completionTokens: number; durationMs: number }

export class RollingMetrics {
  readonly #samples: JobSample[] = []
  jobs = 0
  /**
   * Jobs that failed by the node's own doing: its backend down, hung or broken mid-stream, its timeout, its shutdown.
   * Never a client's: a cancel, a forged copy, or a request the engine refused for what it asked (endings.ts).
   */
  failures = 0
  /** Completion tokens of every finished job. */
  tokensOut = 0
  readonly #intake: number[] = []
  readonly #egress: number[] = []
  constructor(readonly windowSize = 50) {}

  /** The node's own time from a job's arrival to the backend call, in ms (direct jobs that did not queue). */
  recordIntake(ms: number): void {
    this.#intake.push(ms)
    if (this.#intake.length > 1000) this.#intake.shift()
  }

  /** The node's own time from the first token's arrival to its frame being sent, in ms. */
  recordEgress(ms: number): void {
    this.#egress.push(ms)
    if (this.#egress.length > 1000) this.#egress.shift()
  }

  /** p50 and p99 of the node's own share of the time to first token over the last 1,000 jobs. */
  overhead(): { intakeP50: number | null; intakeP99: number | null; egressP50: number | null; egressP99: number | null } {
    return { intakeP50: quantile(this.#intake, 0.5), intakeP99: quantile(this.#intake, 0.99), egressP50: quantile(this.#egress, 0.5), egressP99: quantile(this.#egress, 0.99) }
  }

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

function quantile(values: number[], q: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 1000) / 1000
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const m = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return Math.round(m * 10) / 10
}
