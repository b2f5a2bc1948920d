// `infernet audit`: the yargs module; the handler imports auditHandler.ts.
import { relayOption, type InfernetCommand } from '../../src/cli/command.ts'
import { describeEnv } from '../../src/config/load.ts'
import { auditMethods, greedyPrefixThreshold } from '../../src/protocol/auditMethod.ts'
import { modelDigest } from '../../src/protocol/modelDigest.ts'
import { maxAuditedJobs } from '../../src/protocol/auditVerdict.ts'
import { clientSchema } from '../config.ts'
import { InvalidFlagError } from '../errors.ts'
import type { AuditCommandArguments } from './arguments.ts'

/** One line naming the flag and what it takes, before any relay work. */
export function checkAuditFlags(argv: Partial<AuditCommandArguments>): true {
  if (!argv['reference-url'] === !argv['reference-node']) throw new InvalidFlagError('give exactly one of --reference-url (an engine serving the same weights) and --reference-node (another node announcing the same digest)')
  const jobs = argv.jobs
  if (jobs !== undefined && !(Number.isInteger(jobs) && jobs >= 1 && jobs <= maxAuditedJobs)) throw new InvalidFlagError(`--jobs must be a whole number from 1 to ${maxAuditedJobs} (got ${String(jobs)})`)
  const m = argv['max-tokens']
  if (m !== undefined && !(Number.isInteger(m) && m >= 1 && m <= 4096)) throw new InvalidFlagError(`--max-tokens must be a whole number from 1 to 4096 (got ${String(m)})`)
  if (argv.digest !== undefined && !modelDigest.safeParse(argv.digest).success) throw new InvalidFlagError(`--digest must be sha256:<64 lowercase hex> or ollama:<64 lowercase hex> (got ${argv.digest.slice(0, 80)})`)
  const t = argv.threshold
  if (t !== undefined && !(t >= 0 && t <= 1)) throw new InvalidFlagError(`--threshold must be a number from 0 to 1 (got ${String(t)})`)
  return true
}

export const auditCommand: InfernetCommand = {
  command: 'audit',
  describe: 'Audit a node: send it ordinary-looking greedy jobs, compare with a reference, publish a signed verdict',
  builder: (y) =>
    y
      .option('node', { type: 'string', demandOption: true, describe: 'The node to audit (npub or hex)' })
      .option('model', { type: 'string', demandOption: true, describe: 'The model it announces, to audit' })
      .option('reference-url', { type: 'string', describe: 'OpenAI-compatible engine serving the same weights (http://…; POST /v1/chat/completions)' })
      .option('reference-node', { type: 'string', describe: 'Another node announcing the same digest, as the reference (npub or hex)' })
      .option('jobs', { type: 'number', default: 3, describe: `Audit jobs (1-${maxAuditedJobs}), each from a key made for it (unpaid) unless --pay-from` })
      .option('max-tokens', { type: 'number', default: 32, describe: 'Output tokens per audit job (1-4096)' })
      .option('seed', { type: 'number', describe: 'Seed of the first job (default: random)' })
      .option('method', { choices: ['auto', ...auditMethods], default: 'auto', describe: 'Test statistic (nips/audit-verdict.md); auto: greedy-logprob when the model announces logprobs, else greedy-prefix' })
      .option('digest', { type: 'string', describe: 'Digest of the reference engine\'s weights (sha256:…), for a node that announces none' })
      .option('threshold', { type: 'number', describe: `Fail above this score (0-1, default ${greedyPrefixThreshold})` })
      .option('dry-run', { type: 'boolean', describe: 'Score and print the verdict; publish nothing' })
      .option('pay-from', {
        type: 'string',
        describe:
          "A client home (INFERNET_HOME) whose key sends the audit jobs and whose deposits pay for them (`infernet deposit --home`), for nodes that serve only paid work. Fund it from an address not linked to this home's, or the node can tell",
      })
      .option('relay', relayOption)
      .check((argv) => checkAuditFlags(argv as Partial<AuditCommandArguments>))
      .epilogue(describeEnv(clientSchema)),
  handler: async (argv) => {
    const { runAuditCommand } = await import('./auditHandler.ts')
    process.exitCode = await runAuditCommand(argv as unknown as AuditCommandArguments)
  },
}
