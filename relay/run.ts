// The process side of `infernet relay`: load config, open the store, serve, print the ready line, stop on signals.
import { createLogger, type LogLevel } from '../src/log.ts'
import { exitOnSignals } from '../src/cli/exitOnSignals.ts'
import { loadRelayConfig } from './config.ts'
import type { RelayCommandArguments } from './options.ts'
import { createRelay } from './relay.ts'
import { startRelayServer } from './server.ts'
import { createMemoryStore } from './store/memory.ts'
import { createSqliteStore } from './store/sqlite.ts'

export async function runRelay(args: RelayCommandArguments): Promise<void> {
  const config = loadRelayConfig({ file: args.config, flags: { host: args.host, port: args.port, db: args.db } })
  const logger = createLogger({ component: 'relay', level: config.logLevel as LogLevel })
  const store = config.db ? createSqliteStore({ path: config.db }) : createMemoryStore()
  if (!config.db) logger.warn('no --db given: events are kept in memory and lost on exit')
  const relay = createRelay({ store, config, logger })
  const server = await startRelayServer({ relay, host: config.host, port: config.port, logger })
  if (args.json) {
    process.stdout.write(JSON.stringify({ ready: true, url: server.url, port: server.port, db: config.db || null, pid: process.pid }) + '\n')
  } else {
    process.stdout.write(`Relay listening on ${server.url} (store: ${config.db || 'memory'}). NIP-11 and /metrics on http://${server.url.slice(5)}\n`)
  }
  exitOnSignals(logger, () => server.close())
}
