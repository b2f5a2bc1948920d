// How a long-running part (relay, coordinator, node daemon) stops: the first SIGTERM or SIGINT runs its `close`
// once, then the process exits, 0 when `close` resolved and 1 when it failed. Later signals are ignored, so a
// second Ctrl-C does not cut a shutdown that is flushing storage.
import type { Logger } from '../log.ts'

export function exitOnSignals(logger: Logger, close: () => Promise<void>): void {
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info(`${signal}: shutting down`)
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('shutdown failed', { error: (err as Error).message })
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}
