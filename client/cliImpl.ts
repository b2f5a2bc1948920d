// Implementation of the client commands. Node-only (the `ws` WebSocket, the key file); the SDK stays isomorphic.
import WebSocket from 'ws'
import { printJson, table } from '../src/cli/command.ts'
import { commonSchema, configFilePath, resolveHome } from '../src/config/common.ts'
import { loadConfig } from '../src/config/load.ts'
import { keyPath, loadOrCreateIdentity } from '../src/keys/identity.ts'
import { createLogger, type LogLevel } from '../src/log.ts'
import type { WebSocketConstructor } from '../src/net/relayPool.ts'
import { createLocalSigner } from '../src/signer.ts'
import type { ChatCommandArguments, MarketCommandArguments } from './cli.ts'
import { InfernetClient, type ChatResult, type MarketNode, type RoutingPolicy } from './client.ts'
import { clientSchema } from './config.ts'
import { NoNodeForModelError } from './errors.ts'
import { priceFor } from './market.ts'

type Common = { home?: string | undefined; relay?: string[] | undefined; coordinator?: string | undefined; model?: string | undefined; routing?: string | undefined }

export function parseRouting(value: string): RoutingPolicy {
  if (value === 'reliable' || value === 'cheapest' || value === 'fastest') return value
  if (value.startsWith('pin:')) return { pin: value.slice(4) }
  if (value.startsWith('region:')) return { region: value.slice(7) }
  throw new Error(`unknown routing policy "${value}" (use reliable, cheapest, fastest, pin:<npub>, region:<name>)`)
}

function openClient(argv: Common): { client: InfernetClient; config: ReturnType<typeof loadClientConfig> } {
  const config = loadClientConfig(argv)
  const { identity } = loadOrCreateIdentity(keyPath(config.home))
  const logger = createLogger({ component: 'client', level: config.logLevel as LogLevel })
  const client = new InfernetClient({
    relays: config.relays,
    signer: createLocalSigner(identity.secretKey),
    coordinator: config.coordinator,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    routing: parseRouting(config.routing),
    acceptTimeoutMs: config.acceptTimeoutMs,
    logger,
  })
  return { client, config }
}

function loadClientConfig(argv: Common) {
  const home = resolveHome(argv)
  const { values } = loadConfig(
    { ...commonSchema, ...clientSchema },
    { file: configFilePath(home), flags: { home, relays: argv.relay, coordinator: argv.coordinator, model: argv.model, routing: argv.routing } },
  )
  return values
}

export function shortNpub(npub: string): string {
  return `${npub.slice(0, 12)}…${npub.slice(-4)}`
}

export function ago(seconds: number, now: number): string {
  const s = Math.max(0, now - seconds)
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`
}

export function nodeRow(n: MarketNode, now: number, model?: string | undefined): Record<string, unknown> {
  const price = model ? priceFor(n, model) : n.price
  return {
    node: shortNpub(n.npub),
    name: n.name || '-',
    models: n.models.join(','),
    price: `${price.input}/${price.output}`,
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
        table(models.map((m) => ({ model: m.id, nodes: m.nodes, 'min price': `${m.minPrice.input}/${m.minPrice.output}`, 'best tps': m.maxTps === null ? '-' : m.maxTps.toFixed(1), 'free slots': m.freeSlots, weights: m.digests.map((d) => d.slice(0, d.indexOf(':') + 13)).join(' ') || '-' }))) + '\n',
      )
  } finally {
    await client.close()
  }
}

/** Streams the answer; returns the exit code (0, or 130 when interrupted). */
export async function runChat(argv: ChatCommandArguments): Promise<number> {
  const { client, config } = openClient(argv)
  try {
    await client.ready({ timeoutMs: config.discoveryTimeoutMs })
    let model = config.model
    if (!model) {
      const models = await client.models()
      if (models.length === 0) throw new NoNodeForModelError({ model: '(any)', reason: 'no live node on these relays' })
      model = models[0]!.id
    }
    const messages = [...(argv.system ? [{ role: 'system' as const, content: argv.system }] : []), { role: 'user' as const, content: argv.prompt }]
    const stream = client.chat({
      model,
      messages,
      params: {
        ...(argv['max-tokens'] !== undefined ? { max_tokens: argv['max-tokens'] } : {}),
        ...(argv.temperature !== undefined ? { temperature: argv.temperature } : {}),
      },
    })
    let interrupted = false
    const onSignal = () => {
      interrupted = true
      stream.cancel()
    }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    let result: ChatResult
    try {
      for await (const d of stream) {
        if (argv.json) printJson({ delta: d.text })
        else process.stdout.write(d.text)
      }
      result = await stream.result
    } catch (err) {
      if (interrupted) return 130
      throw err
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
    if (argv.json) printJson({ result })
    else {
      process.stdout.write('\n')
      process.stderr.write(
        `[${model} on ${result.node.slice(0, 12)}…: ${result.usage.promptTokens}+${result.usage.completionTokens} tokens, cost ${result.cost}, ttft ${result.ttftMs} ms${result.resumed ? ', resumed on another node' : ''}]\n`,
      )
    }
    return 0
  } finally {
    await client.close()
  }
}
