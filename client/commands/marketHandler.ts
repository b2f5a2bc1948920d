// `infernet nodes` and `infernet models`: the live market as a table, or JSON with --json.
import { printJson, table } from '../../src/cli/command.ts'
import { formatPrice } from '../../src/payments/units.ts'
import type { MarketNode } from '../client.ts'
import { priceFor } from '../market.ts'
import type { MarketCommandArguments } from './arguments.ts'
import { openClient } from './openClient.ts'

export function ago(seconds: number, now: number): string {
  const s = Math.max(0, now - seconds)
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`
}

function nodeRow(n: MarketNode, now: number, model?: string | undefined): Record<string, unknown> {
  const price = model ? priceFor(n, model) : n.price
  return {
    // Whole: it is what --node and --routing pin: take.
    node: n.npub,
    name: n.name || '-',
    models: n.models.join(','),
    'price in/out per M tokens': formatPrice(price),
    tps: n.tps === null ? '-' : n.tps.toFixed(1),
    load: n.load ? `${n.load.busy}/${n.load.total} q${n.load.queue}` : '-',
    region: n.region ?? '-',
    seen: ago(n.lastSeen, now),
    live: n.live ? 'yes' : 'no',
  }
}

function nodeJson(n: MarketNode) {
  return {
    pubkey: n.pubkey,
    npub: n.npub,
    name: n.name,
    models: n.models,
    price: n.price,
    region: n.region,
    stream: n.stream,
    tps: n.tps,
    ttftMs: n.ttftMs,
    load: n.load,
    lastSeen: n.lastSeen,
    live: n.live,
    ...(n.stats ? { stats: n.stats } : {}),
  }
}

export async function runNodes(argv: MarketCommandArguments): Promise<void> {
  const { client, config } = openClient(argv)
  try {
    await client.ready({ timeoutMs: config.discoveryTimeoutMs })
    const nodes = await client.nodes({ model: argv.model })
    if (argv.json) printJson({ nodes: nodes.map(nodeJson) })
    else process.stdout.write(table(nodes.map((n) => nodeRow(n, Math.floor(Date.now() / 1000), argv.model))) + '\n')
  } finally {
    await client.close()
  }
}

export async function runModels(argv: MarketCommandArguments): Promise<void> {
  const { client, config } = openClient(argv)
  try {
    await client.ready({ timeoutMs: config.discoveryTimeoutMs })
    const models = await client.models()
    if (argv.json) printJson({ models })
    else
      process.stdout.write(
        // Weights as the pin prefix `--model id@sha256:<12 hex>` takes (the whole digest is in --json).
        table(models.map((m) => ({ model: m.id, nodes: m.nodes, 'min price in/out per M tokens': formatPrice(m.minPrice), 'best tps': m.maxTps === null ? '-' : m.maxTps.toFixed(1), 'free slots': m.freeSlots, weights: m.digests.map((d) => d.slice(0, d.indexOf(':') + 13)).join(' ') || '-' }))) + '\n',
      )
  } finally {
    await client.close()
  }
}
