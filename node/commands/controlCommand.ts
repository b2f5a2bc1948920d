// `infernet stop`, `infernet status`, `infernet logs`: the yargs modules; the handlers import controlHandler.ts.
import type { InfernetCommand } from '../../src/cli/command.ts'
import type { NodeCommandArguments } from './arguments.ts'

export const stopCommand: InfernetCommand = {
  command: 'stop',
  describe: 'Stop the node daemon (SIGTERM via its pid file)',
  handler: async (argv) => {
    const { runStop } = await import('./controlHandler.ts')
    await runStop(argv as NodeCommandArguments)
  },
}

export const statusCommand: InfernetCommand = {
  command: 'status',
  describe: 'Show the running node: slots, queue, jobs, TTFT, tokens/s, relays',
  handler: async (argv) => {
    const { runStatus } = await import('./controlHandler.ts')
    await runStatus(argv as NodeCommandArguments)
  },
}

export const logsCommand: InfernetCommand = {
  command: 'logs',
  describe: 'Print the node daemon log file',
  builder: (y) => y.option('follow', { alias: 'f', type: 'boolean', describe: 'Keep printing new lines' }),
  handler: async (argv) => {
    const { runLogs } = await import('./controlHandler.ts')
    await runLogs(argv as NodeCommandArguments)
  },
}
