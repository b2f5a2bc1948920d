// The `infernet` entry. It is the composition root: the one place that names every part's commands.
// Parts never import each other; each registers its commands here.
import yargs, { type Argv } from 'yargs'
import { hideBin } from 'yargs/helpers'
import { describeEnv, helpWidth } from '../config/load.ts'
import { commonSchema } from '../config/common.ts'
import { formatError, withGlobalOptions, type InfernetCommand } from '../cli/command.ts'
import { commandWord, unknownCommandMessage } from '../cli/unknownCommand.ts'
import { keysCommand } from './commands/keysCommand.ts'
import { upCommand } from './commands/upCommand.ts'
import { payoutCommand } from '../../node/commands/payoutCommand.ts'
import { depositCommand } from '../../client/commands/depositCommand.ts'
import { balanceCommand } from '../../client/commands/balanceCommand.ts'
import { withdrawCommand } from '../../client/commands/withdrawCommand.ts'
import { relayCommand } from '../../relay/cli.ts'
import { setupCommand } from '../../node/commands/setupCommand.ts'
import { startCommand } from '../../node/commands/startCommand.ts'
import { logsCommand, statusCommand, stopCommand } from '../../node/commands/controlCommand.ts'
import { coordinatorCommand } from '../coordinator/commands/coordinatorCommand.ts'
import { chatCommand } from '../../client/commands/chatCommand.ts'
import { auditCommand } from '../../client/commands/auditCommand.ts'
import { modelsCommand, nodesCommand } from '../../client/commands/marketCommand.ts'

const commands: InfernetCommand[] = [
  upCommand,
  keysCommand,
  payoutCommand,
  depositCommand,
  balanceCommand,
  withdrawCommand,
  relayCommand,
  setupCommand,
  startCommand,
  stopCommand,
  statusCommand,
  logsCommand,
  coordinatorCommand,
  chatCommand,
  auditCommand,
  nodesCommand,
  modelsCommand,
]

const argv = hideBin(process.argv)
const verbose = argv.includes('--verbose')

const unknown = unknownCommandMessage(
  commandWord(argv),
  commands.map((c) => String(c.command).split(' ')[0]!),
)
if (unknown) {
  process.stderr.write(`Error: ${unknown}\n`)
  process.exit(2)
}

const cli = withGlobalOptions(yargs(argv))
  .scriptName('infernet')
  .usage('$0 <command> [options]\n\nInfernet: a decentralized GPU network for LLM inference over Nostr relays.')
  // --version belongs to `infernet` itself; a command's help lists only what applies to it.
  .command(commands.map((c) => ({ ...c, builder: (y: Argv) => (typeof c.builder === "function" ? (c.builder(y) as Argv) : y.options(c.builder ?? {})).version(false) })))
  .demandCommand(1, 'Name a command; `infernet --help` lists them.')
  .recommendCommands()
  .strict()
  .epilogue(describeEnv(commonSchema))
  .help()
  .alias('h', 'help')
  .version()
  .wrap(helpWidth())
  .fail((msg, err) => {
    if (err) throw err
    process.stderr.write(`Error: ${msg}\n\nRun with --help for usage.\n`)
    process.exit(2)
  })

try {
  await cli.parseAsync()
} catch (err) {
  process.stderr.write(formatError(err, verbose) + '\n')
  process.exit(1)
}
