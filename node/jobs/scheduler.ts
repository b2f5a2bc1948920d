// Slots and a bounded FIFO queue. Pure bookkeeping: the daemon asks `admit`, runs what it is told to run, and
// calls `release` when a job ends; `release` hands back the next queued job, if any.
export type Admission = { kind: 'run' } | { kind: 'queued'; position: number } | { kind: 'busy' }

export class Scheduler<T extends { id: string }> {
  readonly running = new Map<string, T>()
  readonly queue: T[] = []
  constructor(
    readonly maxConcurrency: number,
    readonly maxQueue: number,
  ) {}

  admit(job: T): Admission {
    if (this.running.size < this.maxConcurrency) {
      this.running.set(job.id, job)
      return { kind: 'run' }
    }
    if (this.queue.length < this.maxQueue) {
      this.queue.push(job)
      return { kind: 'queued', position: this.queue.length }
    }
    return { kind: 'busy' }
  }

  /** Frees the job's slot (or drops it from the queue); returns the jobs that now take free slots. */
  release(id: string): T[] {
    this.running.delete(id)
    const i = this.queue.findIndex((j) => j.id === id)
    if (i >= 0) this.queue.splice(i, 1)
    const next: T[] = []
    while (this.running.size < this.maxConcurrency && this.queue.length > 0) {
      const job = this.queue.shift()!
      this.running.set(job.id, job)
      next.push(job)
    }
    return next
  }

  isQueued(id: string): boolean {
    return this.queue.some((j) => j.id === id)
  }

  get freeSlots(): number {
    return this.maxConcurrency - this.running.size
  }
}
