// The single writer stage (strfry's Writer): writes queued during one tick are committed in one transaction,
// and each caller's promise resolves only after that commit, so OK true always means "on disk".
import type { EventStore, StoreWrite, WriteOutcome } from './store/types.ts'

export type Writer = {
  enqueue(write: StoreWrite): Promise<WriteOutcome>
  /** Commits everything queued now (synchronously). */
  flushNow(): void
  readonly pending: number
}

export function createWriter({ store, now, batchMax = 2000 }: { store: EventStore; now: () => number; batchMax?: number | undefined }): Writer {
  type Item = { write: StoreWrite; resolve: (o: WriteOutcome) => void; reject: (e: unknown) => void }
  let queue: Item[] = []
  let scheduled = false

  const flushNow = () => {
    scheduled = false
    while (queue.length > 0) {
      const batch = queue.length > batchMax ? queue.splice(0, batchMax) : queue
      if (batch === queue) queue = []
      let outcomes: WriteOutcome[]
      try {
        outcomes = store.write(
          batch.map((i) => i.write),
          Math.floor(now() / 1000),
        )
      } catch (err) {
        for (const item of batch) item.reject(err)
        continue
      }
      batch.forEach((item, i) => item.resolve(outcomes[i]!))
    }
  }

  return {
    enqueue(write) {
      return new Promise<WriteOutcome>((resolve, reject) => {
        queue.push({ write, resolve, reject })
        if (!scheduled) {
          scheduled = true
          setImmediate(flushNow)
        }
      })
    },
    flushNow,
    get pending() {
      return queue.length
    },
  }
}
