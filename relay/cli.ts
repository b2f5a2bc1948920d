// `infernet relay`: the builder stays light; the handler imports the implementation.
import type { InfernetCommand } from '../src/cli/command.ts'
import { describeEnv } from '../src/config/load.ts'
import { relaySchema } from './config.ts'
import type { RelayCommandArguments } from './options.ts'

export const relayCommand: InfernetCommand = {
  command: 'relay',
  describe: 'Run the self-hosted Nostr relay (NIP-01/09/11/13/40/42/45/70, SQLite storage)',
  builder: (y) =>
    y
      .option('host', { type: 'string', describe: `Address to bind [env ${relaySchema.host.env}, default ${relaySchema.host.default}]` })
      .option('port', { type: 'number', describe: `TCP port, 0 = any free port [env ${relaySchema.port.env}, default ${relaySchema.port.default}]` })
      .option('db', { type: 'string', describe: `SQLite file; omit for an in-memory store [env ${relaySchema.db.env}]` })
      .option('config', { type: 'string', describe: 'JSON file with relay settings (keys as listed below, e.g. {"maxSubscriptions": 20})' })
      .epilogue(describeEnv(relaySchema)),
  handler: async (argv) => {
    const { runRelay } = await import('./run.ts')
    await runRelay(argv as RelayCommandArguments)
  },
}
