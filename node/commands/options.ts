// Options and help text that `infernet setup` and `infernet start` share.
import type { Argv } from 'yargs'
import { relayOption } from '../../src/cli/command.ts'
import { describeEnv } from '../../src/config/load.ts'
import { nodeSchema } from '../config.ts'

export const nodeEnvHelp = `${describeEnv(nodeSchema)}\n\nPriced nodes settle through INFERNET_CHAIN_RPC, INFERNET_CHAIN_ID, INFERNET_SETTLEMENT_ADDRESS and INFERNET_TOKEN\n(see \`infernet payout --help\`); without a settlement contract they serve without receipts.`

/** Flags shared by setup and start; each maps to a config key of node/config.ts. */
export function nodeOptions<T>(y: Argv<T>) {
  return y
    .option('relay', relayOption)
    .option('backend', { type: 'string', describe: 'Inference backend: ollama, vllm, sglang, max, llamacpp, demo' })
    .option('backend-url', { type: 'string', describe: 'Backend base URL' })
    .option('model', { type: 'string', array: true, describe: 'Model to serve; repeat for several (default: all the backend lists)' })
    .option('price', { type: 'string', describe: 'IN,OUT: price per million input and output tokens in token base units (0,0 = free)' })
    .option('price-in', { type: 'string', describe: 'Price per million input tokens' })
    .option('price-out', { type: 'string', describe: 'Price per million output tokens' })
    .option('host', { type: 'string', describe: 'Address the stream endpoint binds (default 127.0.0.1)' })
    .option('port', { type: 'number', describe: 'Stream endpoint port (default 8790; 0 = any free port)' })
    .option('public-url', { type: 'string', describe: 'Public http(s) base URL of the stream endpoint, announced in the capability' })
    .option('auth-url', { type: 'string', array: true, describe: 'Another base URL clients reach the stream endpoint at (a proxy\'s other name); auth events may bind it besides the announced one. Repeatable' })
    .option('max-concurrency', { type: 'number', describe: 'Jobs run at once' })
    .option('max-queue', { type: 'number', describe: 'Jobs waiting for a slot before "busy"' })
    .option('name', { type: 'string', describe: 'Display name in the capability' })
    .option('region', { type: 'string', describe: 'Region hint in the capability' })
}
