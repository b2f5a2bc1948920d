// `infernet up`: the whole network on 127.0.0.1 in one command. It starts real processes that talk only over
// the network, exactly as on the internet: a relay, a dev chain with the settlement contract, N node agents and a
// coordinator with the OpenAI-compatible gateway whose escrow is funded. Everything lives under one data folder.
// Like src/app/cli.ts, this is a composition root: the one other place allowed to reach into a part (backend
// detection from node/backends) to decide how to start it.
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { bytesToHex } from '@noble/hashes/utils.js'
import { npubEncode } from 'nostr-tools/nip19'
import { parseEther } from 'viem'
import { createBackend, detectBackend } from '../../../node/backends/index.ts'
import { BaseError } from '../../errors/base.ts'
import { keyPath, loadOrCreateIdentity } from '../../keys/identity.ts'
import type { Logger } from '../../log.ts'
import { banner } from './banner.ts'
import { startChild, type ManagedChild } from './childProcess.ts'
import { defaultEscrowPerNode, fund, fundChannels, startDevnet, type Devnet } from './devnet.ts'
import { writeLocalCliConfig } from './localCli.ts'
import { claimDataDir, requireFreePorts } from './preflight.ts'

export type UpParameters = {
  nodes: number
  /** Gateway (coordinator) port; 0 = any free port. */
  port: number
  relayPort: number
  data: string
  /** Start the dev chain and make the nodes priced (default true). */
  chain: boolean
  /** Force a backend kind for every node; default: detect, else the demo backend. */
  backend?: string | undefined
  backendUrl?: string | undefined
  /** Per million input/output tokens, wei. */
  price: { input: string; output: string }
  json: boolean
  verbose: boolean
  logger: Logger
}

export type RunningNetwork = {
  gatewayUrl: string
  relayUrl: string
  model: string
  children: ManagedChild[]
  devnet: Devnet | undefined
  stop(): Promise<void>
}

export class NoModelError extends BaseError {
  override name = 'NoModelError'
  override code = 'no-model'
  constructor(kind: string, url: string) {
    super(`The ${kind} backend at ${url} lists no model.`, {
      metaMessages: kind === 'ollama' ? ['Pull one (`ollama pull llama3.2:1b`), or run `infernet up --backend demo`.'] : ['Load a model in the backend, or run `infernet up --backend demo`.'],
    })
  }
}

async function chooseBackend(p: UpParameters): Promise<{ kind: string; url: string | undefined; model: string }> {
  if (p.backend === 'demo') return { kind: 'demo', url: undefined, model: 'demo' }
  const found = p.backend ? { kind: p.backend, baseUrl: p.backendUrl } : await detectBackend({ timeoutMs: 800 })
  if (!found) return { kind: 'demo', url: undefined, model: 'demo' }
  const backend = createBackend({ kind: found.kind as never, baseUrl: found.baseUrl, timeoutMs: 5000 })
  const models = await backend.listModels().catch(() => [])
  if (models.length === 0) throw new NoModelError(found.kind, backend.baseUrl)
  return { kind: found.kind, url: backend.baseUrl, model: models[0]!.id }
}

export async function startNetwork(p: UpParameters): Promise<RunningNetwork> {
  const data = resolve(p.data)
  mkdirSync(data, { recursive: true, mode: 0o700 })
  await requireFreePorts([
    { port: p.relayPort, role: 'relay', flag: '--relay-port' },
    { port: p.port, role: 'gateway', flag: '--port' },
  ])
  const release = claimDataDir(data)
  const children: ManagedChild[] = []
  let devnet: Devnet | undefined
  const onLog = p.verbose ? (line: string) => process.stderr.write(line + '\n') : undefined
  const stop = async () => {
    for (const child of [...children].reverse()) await child.stop()
    await devnet?.chain.stop()
    release()
  }
  const step = (message: string) => p.logger.info(message)
  try {
    const backend = await chooseBackend(p)
    step(`backend: ${backend.kind}${backend.url ? ` at ${backend.url}` : ' (built-in demo)'}; model ${backend.model}`)

    const nodeHomes = Array.from({ length: p.nodes }, (_, i) => resolve(data, `node-${i + 1}`))
    const nodeIds = nodeHomes.map((home) => loadOrCreateIdentity(keyPath(home)).identity)
    const coordinatorHome = resolve(data, 'coordinator')
    const gateway = loadOrCreateIdentity(keyPath(coordinatorHome)).identity
    // The CLI's own home on this network: a key of its own, funded below, and a config.json naming relay and chain.
    const clientHome = resolve(data, 'client')
    const clientId = loadOrCreateIdentity(keyPath(clientHome)).identity

    if (p.chain) {
      step('starting the dev chain (anvil) and deploying the settlement contract')
      devnet = await startDevnet()
      await fund(devnet, [...nodeIds.map((n) => n.address), gateway.address, clientId.address], parseEther('10'))
      await fundChannels(devnet, `0x${bytesToHex(gateway.paymentSecretKey)}`, nodeIds.map((n) => n.address), defaultEscrowPerNode)
      step(`settlement contract ${devnet.settlement}; gateway escrow funded with ${Number(defaultEscrowPerNode) / 1e18} ETH per node`)
    }
    const chainEnv = devnet?.env ?? {}

    step('starting the relay')
    const relay = await startChild({ name: 'relay', args: ['relay', '--port', String(p.relayPort), '--db', resolve(data, 'relay.sqlite')], onLog })
    children.push(relay)
    const relayUrl = relay.ready.url
    const localChain = devnet ? { rpcUrl: devnet.chain.rpcUrl, chainId: devnet.chain.chainId, settlement: devnet.settlement } : undefined
    for (const home of [clientHome, ...nodeHomes]) writeLocalCliConfig(home, relayUrl, localChain)

    const nodes: { name: string; pubkey: string; npub: string; home: string; backend: string; streamUrl: string }[] = []
    for (const [i, home] of nodeHomes.entries()) {
      const name = backend.kind === 'demo' ? `infernet-demo-${i + 1}` : `local-${backend.kind}-${i + 1}`
      step(`starting node ${name}`)
      const args = ['start', '--home', home, '--relay', relayUrl, '--port', '0', '--backend', backend.kind, '--name', name, '--model', backend.model]
      if (backend.url) args.push('--backend-url', backend.url)
      args.push('--price', p.chain ? `${p.price.input},${p.price.output}` : '0,0')
      const env = { ...chainEnv, INFERNET_CREDIT_LIMIT: String(10n ** 15n), INFERNET_HEARTBEAT_INTERVAL: '10' }
      const child = await startChild({ name, args, env, onLog })
      children.push(child)
      nodes.push({ name, pubkey: String(child.ready.pubkey), npub: npubEncode(String(child.ready.pubkey)), home, backend: backend.kind, streamUrl: child.ready.url })
    }

    step('starting the coordinator and gateway')
    const coordinator = await startChild({
      name: 'coordinator',
      args: ['coordinator', '--home', coordinatorHome, '--relay', relayUrl, '--port', String(p.port), '--db', resolve(coordinatorHome, 'coordinator.db')],
      env: { ...chainEnv, ...(p.chain ? { INFERNET_GATEWAY_BUDGET: String(defaultEscrowPerNode * BigInt(p.nodes)) } : {}) },
      onLog,
    })
    children.push(coordinator)
    const gatewayUrl = coordinator.ready.url.replace(/\/$/, '')
    await waitForNodes(gatewayUrl, backend.model, p.nodes)

    const text = banner({
      gatewayUrl,
      relayUrl,
      dataDir: data,
      model: backend.model,
      nodes,
      chain: devnet ? { rpcUrl: devnet.chain.rpcUrl, settlement: devnet.settlement } : undefined,
      demo: backend.kind === 'demo',
      client: { home: clientHome, address: clientId.address, funded: Boolean(devnet) },
    })
    if (p.json) {
      process.stdout.write(JSON.stringify({ ready: true, url: gatewayUrl, gateway: `${gatewayUrl}/v1`, relay: relayUrl, model: backend.model, data, nodes, client: { home: clientHome, address: clientId.address }, chain: devnet ? { rpcUrl: devnet.chain.rpcUrl, settlement: devnet.settlement } : null }) + '\n')
    } else {
      process.stdout.write(text)
    }
    return { gatewayUrl, relayUrl, model: backend.model, children, devnet, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

/** The gateway is useful once its index has seen every node live. */
async function waitForNodes(gatewayUrl: string, model: string, count: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${gatewayUrl}/api/v1/nodes?model=${encodeURIComponent(model)}`)
      if (res.ok) {
        const body = (await res.json()) as { nodes?: unknown[] }
        if ((body.nodes?.length ?? 0) >= count) return
      }
    } catch {
      // coordinator still starting
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new BaseError(`The coordinator did not see ${count} live node(s) serving ${model} within ${timeoutMs / 1000} s.`, {
    metaMessages: ['Run with --verbose to see every process log.'],
  })
}
