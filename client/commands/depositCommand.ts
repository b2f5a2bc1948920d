import type { InfernetCommand } from '../../src/cli/command.ts'
import { paymentsCliOptions } from '../../src/payments/cliOptions.ts'

export const depositCommand: InfernetCommand = {
  command: 'deposit <amount>',
  describe: 'Fund the payment channel to a node (amount in base units; ERC-20 is approved first)',
  builder: (y) =>
    y
      .positional('amount', { type: 'string', describe: 'Amount in the token\'s base units (wei for the native coin)' })
      .option('node', { type: 'string', demandOption: true, describe: 'The node: its npub or hex key (payout address read from its signed capability on --relay), or the payout address itself' })
      .options(paymentsCliOptions),
  handler: async (argv) => {
    const { runDeposit } = await import('./depositHandler.ts')
    await runDeposit(argv as unknown as Parameters<typeof runDeposit>[0])
  },
}
