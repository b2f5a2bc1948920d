// `infernet start`: the yargs module; the handler imports startHandler.ts.
import type { InfernetCommand } from '../../src/cli/command.ts'
import type { NodeCommandArguments } from './arguments.ts'
import { nodeEnvHelp, nodeOptions } from './options.ts'

export const startCommand: InfernetCommand = {
  command: 'start',
  describe: 'Run the node daemon: heartbeats, jobs from relays and the stream endpoint (WS + SSE)',
  builder: (y) =>
    nodeOptions(y)
      .option('daemon', { alias: 'd', type: 'boolean', describe: 'Detach; pid and log files under $INFERNET_HOME/node/' })
      .epilogue(nodeEnvHelp),
  handler: async (argv) => {
    const { runStart } = await import('./startHandler.ts')
    await runStart(argv as NodeCommandArguments)
  },
}
