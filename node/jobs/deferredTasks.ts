// Bookkeeping put off to the next event-loop turn, so a job's last frame goes out before its SQLite writes; the
// executor's stop() waits for what is still pending before the dedupe store closes.
import type { Logger } from '../../src/log.ts'

export function createDeferredTasks(logger: Logger) {
  const pending = new Set<Promise<void>>()
  return {
    later(fn: () => void): void {
      const p = new Promise<void>((resolve) =>
        setImmediate(() => {
          try {
            fn()
          } catch (err) {
            logger.warn('deferred job bookkeeping failed', { error: (err as Error).message })
          } finally {
            resolve()
          }
        }),
      )
      pending.add(p)
      void p.finally(() => pending.delete(p))
    },
    /** Settles once everything put off so far has run. */
    async drain(): Promise<void> {
      await Promise.allSettled([...pending])
    },
  }
}
