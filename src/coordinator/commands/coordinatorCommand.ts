// `infernet coordinator`: the yargs module; the handler imports coordinatorHandler.ts.
import { relayOption, type InfernetCommand } from '../../cli/command.ts'
import { describeEnv } from '../../config/load.ts'
import { coordinatorSchema } from '../config.ts'
import type { CoordinatorCommandArguments } from './arguments.ts'

export const coordinatorCommand: InfernetCommand = {
  command: 'coordinator',
  describe: 'Run a coordinator: market index, routing, REST API, OpenAI-compatible gateway, status page',
  builder: (y) =>
    y
      .option('relay', relayOption)
      .option('host', { type: 'string', describe: `Address to bind [env ${coordinatorSchema.host.env}, default ${coordinatorSchema.host.default}]` })
      .option('port', { type: 'number', describe: `TCP port, 0 = any free port [env ${coordinatorSchema.port.env}, default ${coordinatorSchema.port.default}]` })
      .option('db', { type: 'string', describe: `SQLite cache file [env ${coordinatorSchema.db.env}, default <home>/coordinator.db]` })
      .option('api-key', { type: 'string', array: true, describe: 'Gateway API key; repeat for several (none = open, loopback only)' })
      .option('api-key-file', { type: 'string', describe: 'File of API keys, one per line (a Docker or Kubernetes secret: the key stays out of ps)' })
      .option('keys-file', { type: 'string', describe: 'JSON file [{ key, name, budget, ratePerMinute }]' })
      .epilogue(describeEnv(coordinatorSchema)),
  handler: async (argv) => {
    const { runCoordinator } = await import('./coordinatorHandler.ts')
    await runCoordinator(argv as CoordinatorCommandArguments)
  },
}
