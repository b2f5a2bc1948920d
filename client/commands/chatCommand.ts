// `infernet chat`: the yargs module; the handler imports chatHandler.ts.
import type { InfernetCommand } from '../../src/cli/command.ts'
import { describeEnv } from '../../src/config/load.ts'
import { clientSchema } from '../config.ts'
import type { ChatCommandArguments } from './arguments.ts'

export const chatCommand: InfernetCommand = {
  command: 'chat <prompt>',
  describe: 'Send a prompt to the network and stream the answer (deltas on stdout)',
  builder: (y) =>
    y
      .positional('prompt', { type: 'string', describe: 'The user message', demandOption: true })
      .option('model', { type: 'string', describe: `Model id [env ${clientSchema.model.env}; default: the most served model]` })
      .option('coordinator', { type: 'string', describe: `Coordinator URL [env ${clientSchema.coordinator.env}]` })
      .option('routing', { type: 'string', describe: 'reliable | cheapest | fastest | pin:<npub> | region:<name>' })
      .option('system', { type: 'string', describe: 'System message' })
      .option('max-tokens', { type: 'number', describe: 'Most tokens to generate' })
      .option('temperature', { type: 'number', describe: 'Sampling temperature (0-2)' })
      .epilogue(describeEnv(clientSchema)),
  handler: async (argv) => {
    const { runChat } = await import('./chatHandler.ts')
    process.exitCode = await runChat(argv as unknown as ChatCommandArguments)
  },
}
