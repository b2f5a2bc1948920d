import type { InfernetCommand } from '../../src/cli/command.ts'
import { paymentsCliOptions } from '../../src/payments/cliOptions.ts'

export const balanceCommand: InfernetCommand = {
  command: 'balance',
  describe: 'Show this account\'s payment channels: deposit, claimed by the node, available, pending withdrawal',
  builder: (y) =>
    y
      .option('node', { type: 'string', describe: 'Only the channel to this node: its npub or hex key (read on --relay), or its payout address' })
      .option('from-block', { type: 'number', describe: 'First block to scan for deposits (default 0)' })
      .options(paymentsCliOptions),
  handler: async (argv) => {
    const { runBalance } = await import('./balanceHandler.ts')
    await runBalance(argv as Parameters<typeof runBalance>[0])
  },
}
