// `infernet up`: the yargs module; the handler imports upHandler.ts.
import { join } from 'node:path'
import type { InfernetCommand } from '../../cli/command.ts'

export const upCommand: InfernetCommand = {
  command: 'up',
  describe: 'Run a whole network on 127.0.0.1: relay, dev chain + settlement contract, node agents and the coordinator/gateway',
  builder: (y) =>
    y
      .option('nodes', { type: 'number', default: 1, describe: 'Node agents to start' })
      .option('port', { type: 'number', default: 8787, describe: 'Gateway (coordinator) port; 0 = any free port' })
      .option('relay-port', { type: 'number', default: 7777, describe: 'Relay port; 0 = any free port' })
      .option('data', { type: 'string', default: join('.data', 'up'), describe: 'Folder for every key, database and log of this network' })
      .option('chain', { type: 'boolean', default: true, describe: 'Start the dev chain and price the nodes (--no-chain: free nodes, no payments)' })
      .option('backend', { type: 'string', describe: 'Backend for every node: ollama, vllm, sglang, max, llamacpp, demo (default: detect, else demo)' })
      .option('backend-url', { type: 'string', describe: 'Backend base URL (with --backend)' })
      .option('price', { type: 'string', default: '100000000000,300000000000', describe: 'IN,OUT: node price per million tokens, wei' }),
  handler: async (argv) => {
    const { runUp } = await import('./upHandler.ts')
    const { createLogger } = await import('../../log.ts')
    const [input = '0', output = '0'] = String(argv.price).split(',')
    await runUp({
      nodes: argv.nodes,
      port: argv.port,
      relayPort: argv['relay-port'],
      data: argv.data,
      chain: argv.chain,
      backend: argv.backend,
      backendUrl: argv['backend-url'],
      price: { input, output },
      json: Boolean(argv.json),
      verbose: Boolean(argv.verbose),
      logger: createLogger({ component: 'up' }),
    })
  },
}
