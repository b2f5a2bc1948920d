// `infernet setup`: the yargs module; the handler imports setupHandler.ts.
import type { InfernetCommand } from '../../src/cli/command.ts'
import type { NodeCommandArguments } from './arguments.ts'
import { nodeEnvHelp, nodeOptions } from './options.ts'

export const setupCommand: InfernetCommand = {
  command: 'setup',
  describe: 'Set up this machine as a node: key, GPUs, backend, model, price, relays; publishes the capability (registration)',
  builder: (y) =>
    nodeOptions(y)
      .option('yes', { alias: 'y', type: 'boolean', describe: 'Accept defaults, ask nothing (scriptable)' })
      .option('key', { type: 'string', describe: 'Import this secret key (nsec1… or hex) when no key exists yet' })
      .option('install-backend', { type: 'boolean', describe: 'With --yes: install Ollama with its official installer if missing' })
      .option('pull', { type: 'boolean', describe: 'With --yes: pull a model that fits the GPU if the backend has none (default true)' })
      .epilogue(nodeEnvHelp),
  handler: async (argv) => {
    const { runSetup } = await import('./setupHandler.ts')
    await runSetup(argv as NodeCommandArguments)
  },
}
