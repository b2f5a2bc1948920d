// `infernet keys`: the yargs module; the handler imports keysHandler.ts.
import type { InfernetCommand } from '../../cli/command.ts'

export const keysCommand: InfernetCommand = {
  command: 'keys',
  describe: 'Show this identity: npub, hex pubkey and the Ethereum address of its payment key (creates a key if none exists)',
  builder: (y) =>
    y
      .option('import', { type: 'string', describe: 'Import a secret key (nsec1… or hex) instead of generating one' })
      .option('export', { type: 'boolean', describe: 'Also print the secret key (nsec and hex). Handle with care.' })
      .option('force', { type: 'boolean', describe: 'With --import: replace an existing key file' }),
  handler: async (argv) => {
    const { runKeys } = await import('./keysHandler.ts')
    await runKeys(argv as Parameters<typeof runKeys>[0])
  },
}
