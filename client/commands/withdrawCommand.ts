import type { InfernetCommand } from '../../src/cli/command.ts'
import { paymentsCliOptions } from '../../src/payments/cliOptions.ts'

export const withdrawCommand: InfernetCommand = {
  command: 'withdraw',
  describe: 'Take back unclaimed funds from a channel: the first run requests, a run after the delay completes',
  builder: (y) =>
    y.option('node', { type: 'string', demandOption: true, describe: 'The node: its npub or hex key (payout address read from its signed capability on --relay), or the payout address itself' }).options(paymentsCliOptions),
  handler: async (argv) => {
    const { runWithdraw } = await import('./withdrawHandler.ts')
    await runWithdraw(argv as unknown as Parameters<typeof runWithdraw>[0])
  },
}
