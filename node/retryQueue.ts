// Work that failed only because something outside was down (the chain RPC), tried again in arrival order with a
// growing pause until it goes through. Used for receipts refused `chain-unavailable` (nips/cpr.md §4): dropping them
// would leave every later cumulative receipt of that payer unacceptable. Bounded; `close()` stops the timer.
import { silentLogger, type Logger } from '../src/log.ts'

export type RetryOutcome = 'done' | 'retry'

export type RetryQueueParameters<T> = {
  /** Tries one item once; 'retry' keeps it for the next pass. */
  attempt(item: T): Promise<RetryOutcome>
  /** Identity of an item: the same one is queued once. */
  key(item: T): string
  /** First pause after a failed pass, in ms (doubles up to maxMs). */
  minMs?: number | undefined
  maxMs?: number | undefined
  /** Most items kept; beyond it new ones are refused (add returns false). */
  maxItems?: number | undefined
  logger?: Logger | undefined
  setTimer?: ((fn: () => void, ms: number) => { cancel(): void }) | undefined
}

export type RetryQueue<T> = {
  /** Queues `item` and schedules a pass; false when it is full (the item is not kept). */
  add(item: T): boolean
  /** Tries every queued item now (say, the outside came back). */
  kick(): Promise<void>
  size(): number
  close(): void
}

const defaultTimer = (fn: () => void, ms: number) => {
  const t = setTimeout(fn, ms)
  t.unref?.()
  return { cancel: () => clearTimeout(t) }
}

export function createRetryQueue<T>({ attempt, key, minMs = 1000, maxMs = 30_000, maxItems = 1024, logger = silentLogger, setTimer = defaultTimer }: RetryQueueParameters<T>): RetryQueue<T> {
  const items = new Map<string, T>()
  let pause = minMs
  /** Passes in a row with a failure. */
  let failures = 0
  let timer: { cancel(): void } | undefined
  let running: Promise<void> | undefined
  let closed = false

  const schedule = () => {
    if (closed || timer || items.size === 0) return
    timer = setTimer(() => {
      timer = undefined
      void pass()
    }, pause)
  }

  // One pass tries every item once, in arrival order, those added meanwhile too; any failure makes the next pause longer.
  async function runPass(): Promise<void> {
    const tried = new Set<string>()
    let failed = false
    for (;;) {
      const next = [...items].find(([k]) => !tried.has(k))
      if (!next || closed) break
      const [k, item] = next
      tried.add(k)
      let outcome: RetryOutcome
      try {
        outcome = await attempt(item)
      } catch (err) {
        logger.warn('retry failed', { error: (err as Error).message })
        outcome = 'done'
      }
      if (outcome === 'retry') failed = true
      else items.delete(k)
    }
    failures = failed ? failures + 1 : 0
    pause = failed ? Math.min(minMs * 2 ** (failures - 1), maxMs) : minMs
  }

  function pass(): Promise<void> {
    running ??= runPass().finally(() => {
      running = undefined
      schedule()
    })
    return running
  }

  return {
    add(item) {
      const k = key(item)
      if (!items.has(k)) {
        if (items.size >= maxItems) return false
        items.set(k, item)
      }
      schedule()
      return true
    },
    kick: () => (items.size === 0 ? Promise.resolve() : pass()),
    size: () => items.size,
    close() {
      closed = true
      timer?.cancel()
      timer = undefined
      items.clear()
    },
  }
}
