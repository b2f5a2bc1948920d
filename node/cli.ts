// `infernet setup|start|stop|status|logs`: light builders; each handler imports its implementation.
import type { Argv } from 'yargs'
import type { InfernetCommand } from '../src/cli/command.ts'
import { describeEnv } from '../src/config/load.ts'
import { nodeSchema } from './config.ts'

const env = `${describeEnv(nodeSchema)}\n\nPriced nodes settle through INFERNET_CHAIN_RPC, INFERNET_CHAIN_ID, INFERNET_SETTLEMENT_ADDRESS and INFERNET_TOKEN\n(see \`infernet payout --help\`); without a settlement contract they serve without receipts.`

/** Flags shared by setup and start; each maps to a config key of node/config.ts. */
function nodeOptions<T>(y: Argv<T>) {
  return y
    .option('backend', { type: 'string', describe: 'Inference backend: ollama, vllm, sglang, max, llamacpp, demo' })
    .option('backend-url', { type: 'string', describe: 'Backend base URL' })
    .option('model', { type: 'string', array: true, describe: 'Model to serve; repeat for several (default: all the backend lists)' })
    .option('price', { type: 'string', describe: 'IN,OUT: price per million input and output tokens in token base units (0,0 = free)' })
    .option('price-in', { type: 'string', describe: 'Price per million input tokens' })
    .option('price-out', { type: 'string', describe: 'Price per million output tokens' })
    .option('host', { type: 'string', describe: 'Address the stream endpoint binds (default 127.0.0.1)' })
    .option('port', { type: 'number', describe: 'Stream endpoint port (default 8790; 0 = any free port)' })
    .option('public-url', { type: 'string', describe: 'Public http(s) base URL of the stream endpoint, announced in the capability' })
    .option('max-concurrency', { type: 'number', describe: 'Jobs run at once' })
    .option('max-queue', { type: 'number', describe: 'Jobs waiting for a slot before "busy"' })
    .option('name', { type: 'string', describe: 'Display name in the capability' })
    .option('region', { type: 'string', describe: 'Region hint in the capability' })
}

export type NodeCommandArguments = {
  home?: string | undefined
  relay?: string[] | undefined
  json?: boolean | undefined
  verbose?: boolean | undefined
  backend?: string | undefined
  backendUrl?: string | undefined
  model?: string[] | undefined
  price?: string | undefined
  priceIn?: string | undefined
  priceOut?: string | undefined
  host?: string | undefined
  port?: number | undefined
  publicUrl?: string | undefined
  maxConcurrency?: number | undefined
  maxQueue?: number | undefined
  name?: string | undefined
  region?: string | undefined
  daemon?: boolean | undefined
  yes?: boolean | undefined
  key?: string | undefined
  installBackend?: boolean | undefined
  pull?: boolean | undefined
  follow?: boolean | undefined
}

export const setupCommand: InfernetCommand = {
  command: 'setup',
  describe: 'Set up this machine as a node: key, GPUs, backend, model, price, relays; publishes the capability (registration)',
  builder: (y) =>
    nodeOptions(y)
      .option('yes', { alias: 'y', type: 'boolean', describe: 'Accept defaults, ask nothing (scriptable)' })
      .option('key', { type: 'string', describe: 'Import this secret key (nsec1… or hex) when no key exists yet' })
      .option('install-backend', { type: 'boolean', describe: 'With --yes: install Ollama with its official installer if missing' })
      .option('pull', { type: 'boolean', describe: 'With --yes: pull a model that fits the GPU if the backend has none (default true)' })
      .epilogue(env),
  handler: async (argv) => {
    const { runSetup } = await import('./setup/runSetup.ts')
    await runSetup(argv as NodeCommandArguments)
  },
}

export const startCommand: InfernetCommand = {
  command: 'start',
  describe: 'Run the node daemon: heartbeats, jobs from relays and the stream endpoint (WS + SSE)',
  builder: (y) =>
    nodeOptions(y)
      .option('daemon', { alias: 'd', type: 'boolean', describe: 'Detach; pid and log files under $INFERNET_HOME/node/' })
      .epilogue(env),
  handler: async (argv) => {
    const { runStart } = await import('./run/start.ts')
    await runStart(argv as NodeCommandArguments)
  },
}

export const stopCommand: InfernetCommand = {
  command: 'stop',
  describe: 'Stop the node daemon (SIGTERM via its pid file)',
  handler: async (argv) => {
    const { runStop } = await import('./run/control.ts')
    await runStop(argv as NodeCommandArguments)
  },
}

export const statusCommand: InfernetCommand = {
  command: 'status',
  describe: 'Show the running node: slots, queue, jobs, TTFT, tokens/s, relays',
  handler: async (argv) => {
    const { runStatus } = await import('./run/control.ts')
    await runStatus(argv as NodeCommandArguments)
  },
}

export const logsCommand: InfernetCommand = {
  command: 'logs',
  describe: 'Print the node daemon log file',
  builder: (y) => y.option('follow', { alias: 'f', type: 'boolean', describe: 'Keep printing new lines' }),
  handler: async (argv) => {
    const { runLogs } = await import('./run/control.ts')
    await runLogs(argv as NodeCommandArguments)
  },
}

export const nodeCommands: InfernetCommand[] = [setupCommand, startCommand, stopCommand, statusCommand, logsCommand]
