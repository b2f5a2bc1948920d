// `infernet nodes`, `infernet models`: the yargs modules; the handlers import marketHandler.ts.
import { relayOption, type InfernetCommand } from '../../src/cli/command.ts'
import { describeEnv } from '../../src/config/load.ts'
import { clientSchema } from '../config.ts'
import type { MarketCommandArguments } from './arguments.ts'

export const nodesCommand: InfernetCommand = {
  command: 'nodes',
  describe: 'List the live market: nodes, models, prices, speed, load, last seen',
  builder: (y) =>
    y
      .option('relay', relayOption)
      .option('model', { type: 'string', describe: 'Only nodes serving this model' })
      .option('coordinator', { type: 'string', describe: `Ask this coordinator instead of reading relays [env ${clientSchema.coordinator.env}]` })
      .epilogue(describeEnv(clientSchema)),
  handler: async (argv) => {
    const { runNodes } = await import('./marketHandler.ts')
    await runNodes(argv as MarketCommandArguments)
  },
}

export const modelsCommand: InfernetCommand = {
  command: 'models',
  describe: 'List the models on offer: nodes serving each, lowest price, best tokens/s',
  builder: (y) => y.option('relay', relayOption).option('coordinator', { type: 'string', describe: `Ask this coordinator instead of reading relays [env ${clientSchema.coordinator.env}]` }).epilogue(describeEnv(clientSchema)),
  handler: async (argv) => {
    const { runModels } = await import('./marketHandler.ts')
    await runModels(argv as MarketCommandArguments)
  },
}
