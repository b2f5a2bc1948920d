// `infernet chat`: the yargs module; the handler imports chatHandler.ts.
import { relayOption, type InfernetCommand } from '../../src/cli/command.ts'
import { describeEnv } from '../../src/config/load.ts'
import { generationFields } from '../../src/protocol/generationParams.ts'
import { maxChoices, maxImageBytes } from '../../src/protocol/limits.ts'
import { InvalidFlagError } from '../errors.ts'
import { clientSchema } from '../config.ts'
import type { ChatCommandArguments } from './arguments.ts'

// The bounds are the protocol's (a node refuses a job outside them), checked here before any relay work.
const maxTokensSchema = generationFields.shape.max_tokens.unwrap()
const temperatureSchema = generationFields.shape.temperature.unwrap()
const lowestInt = (min: number) => (maxTokensSchema.safeParse(min).success ? min : min + 1)
const maxTokens = { min: lowestInt(maxTokensSchema.minValue ?? 1), max: maxTokensSchema.maxValue ?? Number.MAX_SAFE_INTEGER }
const temperature = { min: temperatureSchema.minValue ?? 0, max: temperatureSchema.maxValue ?? 2 }

/** One line naming the flag and its range, or true. yargs prints the line and exits 2. */
export function checkGenerationFlags(argv: { 'max-tokens'?: unknown; temperature?: unknown }): true {
  const m = argv['max-tokens']
  if (m !== undefined && !maxTokensSchema.safeParse(m).success) {
    throw new InvalidFlagError(`--max-tokens must be a whole number from ${maxTokens.min} to ${maxTokens.max} (got ${Number.isNaN(m) ? 'not a number' : String(m)})`)
  }
  const t = argv.temperature
  if (t !== undefined && !temperatureSchema.safeParse(t).success) {
    throw new InvalidFlagError(`--temperature must be a number from ${temperature.min} to ${temperature.max} (got ${Number.isNaN(t) ? 'not a number' : String(t)})`)
  }
  return true
}

export function checkChoices(n: unknown): true {
  if (n !== undefined && !(Number.isInteger(n) && (n as number) >= 1 && (n as number) <= maxChoices)) {
    throw new InvalidFlagError(`-n must be a whole number from 1 to ${maxChoices} (got ${Number.isNaN(n) ? 'not a number' : String(n)})`)
  }
  return true
}

export const chatCommand: InfernetCommand = {
  command: 'chat <prompt>',
  describe: 'Send a prompt to the network and stream the answer (deltas on stdout)',
  builder: (y) =>
    y
      .positional('prompt', { type: 'string', describe: 'The user message', demandOption: true })
      .option('relay', relayOption)
      .option('model', { type: 'string', describe: `Model id [env ${clientSchema.model.env}; default: the most served model]` })
      .option('coordinator', { type: 'string', describe: `Coordinator URL [env ${clientSchema.coordinator.env}]` })
      .option('routing', { type: 'string', describe: 'reliable | cheapest | fastest | pin:<npub> | region:<name>' })
      .option('system', { type: 'string', describe: 'System message' })
      .option('max-tokens', { type: 'number', describe: `Most tokens to generate (${maxTokens.min}-${maxTokens.max})` })
      .option('temperature', { type: 'number', describe: `Sampling temperature (${temperature.min}-${temperature.max})` })
      .option('top-p', { type: 'number', describe: 'Nucleus sampling (0-1)' })
      .option('seed', { type: 'number', describe: 'Sampling seed, for repeatable answers where the engine honours it' })
      .option('stop', { type: 'string', array: true, describe: 'Stop sequence (repeat for more, up to 16)' })
      .option('n', { type: 'number', default: 1, describe: `Choices to generate (1-${maxChoices}): each is its own job, routed and paid on its own, run one after another` })
      .option('tools', { type: 'string', describe: 'JSON file of OpenAI tool definitions (an array, or one tool); tool calls are printed as JSON lines' })
      .option('tool-choice', { type: 'string', describe: 'auto | none | required | <function name> (with --tools)' })
      .option('schema', { type: 'string', describe: 'JSON schema file: the answer is JSON that validates against it (response_format json_schema, strict)' })
      .option('format', { choices: ['json'] as const, describe: 'json: the answer is a JSON object (response_format json_object)' })
      .option('image', { type: 'string', array: true, describe: `Image for the prompt: a .png/.jpg/.gif/.webp file, a data: URL or an http(s) URL fetched here (up to ${maxImageBytes / 1024} KiB each; repeat for more)` })
      .option('logprobs', { type: 'boolean', describe: 'Ask for per-token logprobs (printed to stderr after the answer; with --json, on each delta)' })
      .option('top-logprobs', { type: 'number', describe: 'Alternatives per token with their logprobs (0-20; implies --logprobs)' })
      .option('reasoning-effort', { choices: ['none', 'minimal', 'low', 'medium', 'high'] as const, describe: 'How much a reasoning model thinks first; its reasoning goes to stderr' })
      .check((argv) => checkChoices(argv.n))
      .check((argv) => checkGenerationFlags(argv as { 'max-tokens'?: unknown; temperature?: unknown }))
      .epilogue(describeEnv(clientSchema)),
  handler: async (argv) => {
    const { runChat } = await import('./chatHandler.ts')
    process.exitCode = await runChat(argv as unknown as ChatCommandArguments)
  },
}
