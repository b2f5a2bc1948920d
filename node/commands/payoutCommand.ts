import type { InfernetCommand } from '../../src/cli/command.ts'
import { chainCliOptions } from '../../src/payments/cliOptions.ts'

export const payoutCommand: InfernetCommand = {
  command: 'payout',
  describe: 'Redeem the newest receipt of every payer on the settlement contract (batched per token)',
  builder: (y) =>
    y
      .option('dry-run', { type: 'boolean', describe: 'Show what would be redeemed and the gas estimate; send nothing' })
      .option('min', { type: 'string', describe: 'Skip payers whose claimable amount (base units) is below this' })
      .option('payee', { type: 'string', describe: 'Our payout address, if not this key\'s address (env INFERNET_PAYOUT_ADDRESS)' })
      .options(chainCliOptions),
  handler: async (argv) => {
    const { runPayout } = await import('./payoutHandler.ts')
    await runPayout(argv as Parameters<typeof runPayout>[0])
  },
}
