// `infernet chat`, `infernet nodes`, `infernet models`: builders stay light; handlers import client/cliImpl.ts.
import type { InfernetCommand } from '../src/cli/command.ts'
import { describeEnv } from '../src/config/load.ts'
import { clientSchema } from './config.ts'

export type ChatCommandArguments = {
  prompt: string
  model?: string | undefined
  coordinator?: string | undefined
  routing?: string | undefined
  system?: string | undefined
  'max-tokens'?: number | undefined
  temperature?: number | undefined
  home?: string | undefined
  relay?: string[] | undefined
  json?: boolean | undefined
}

export type MarketCommandArguments = {
  model?: string | undefined
  coordinator?: string | undefined
  home?: string | undefined
  relay?: string[] | undefined
  json?: boolean | undefined
}

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
    const { runChat } = await import('./cliImpl.ts')
    process.exitCode = await runChat(argv as unknown as ChatCommandArguments)
  },
}

export const nodesCommand: InfernetCommand = {
  command: 'nodes',
  describe: 'List the live market: nodes, models, prices, speed, load, last seen',
  builder: (y) =>
    y
      .option('model', { type: 'string', describe: 'Only nodes serving this model' })
      .option('coordinator', { type: 'string', describe: `Ask this coordinator instead of reading relays [env ${clientSchema.coordinator.env}]` })
      .epilogue(describeEnv(clientSchema)),
  handler: async (argv) => {
    const { runNodes } = await import('./cliImpl.ts')
    await runNodes(argv as MarketCommandArguments)
  },
}

export const modelsCommand: InfernetCommand = {
  command: 'models',
  describe: 'List the models on offer: nodes serving each, lowest price, best tokens/s',
  builder: (y) => y.option('coordinator', { type: 'string', describe: `Ask this coordinator instead of reading relays [env ${clientSchema.coordinator.env}]` }).epilogue(describeEnv(clientSchema)),
  handler: async (argv) => {
    const { runModels } = await import('./cliImpl.ts')
    await runModels(argv as MarketCommandArguments)
  },
}
