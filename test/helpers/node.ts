// Test nodes. `startNode` runs the real daemon in-process (stream server on 127.0.0.1 port 0, temp home, its
// own key); `spawnNodeProcess` runs `node bin/infernet.js start --json` as a child process (for kill -9 and
// restart tests). Callers must `stop()` what they start (use `after`/`t.after`).
//
//   const node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, price: { input: '0', output: '0' } })
//   node.pubkey, node.streamUrl (http://127.0.0.1:PORT, the capability's `stream`), node.daemon.stats(), await node.stop()
import { startChild } from '../../src/app/up/childProcess.ts'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateSecretKey } from 'nostr-tools/pure'
import WebSocket from 'ws'
import { createLogger } from '../../src/log.ts'
import type { WebSocketConstructor } from '../../src/net/relayPool.ts'
import type { CapabilityContent } from '../../src/protocol/capability.ts'
import type { Price } from '../../src/protocol/schema.ts'
import { createFastSigner } from '../../src/schnorr/fastest.ts'
import type { Signer } from '../../src/signer.ts'
import { createBackend } from '../../node/backends/index.ts'
import type { Backend, BackendKind } from '../../node/backends/types.ts'
import type { GpuProbe } from '../../node/capability.ts'
import { defaultNodeConfig, type NodeConfig } from '../../node/config.ts'
import { createNodeDaemon, type NodeDaemon } from '../../node/daemon.ts'
import type { PaymentGate } from '../../node/paymentGate.ts'
import { reapChildrenOnExit } from './reapOnExit.ts'
import { scaled } from './timeScale.ts'

export type StartNodeOptions = {
  relays: string[]
  backend: { kind: BackendKind; baseUrl?: string | undefined; timeoutMs?: number | undefined } | Backend
  price?: Price | undefined
  /** Models to serve; default every model the backend lists. */
  models?: string[] | undefined
  maxConcurrency?: number | undefined
  maxQueue?: number | undefined
  /** Node home (dedupe database under <home>/node); default a fresh temp dir removed on stop. */
  home?: string | undefined
  signer?: Signer | undefined
  payment?: PaymentGate | undefined
  /** The capability's `payment` field (with a wallet-backed `payment` gate). */
  paymentTerms?: CapabilityContent['payment'] | undefined
  gpu?: GpuProbe | undefined
  /** Any other config key (maxPromptBytes, jobTimeoutMs, heartbeatInterval, announceStream, ...). */
  config?: Partial<NodeConfig> | undefined
  /** Log to stderr at this level (default silent). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | undefined
}

export type TestNode = { pubkey: string; signer: Signer; streamUrl: string; daemon: NodeDaemon; home: string; stop(): Promise<void> }

export async function startNode(options: StartNodeOptions): Promise<TestNode> {
  const ownHome = options.home === undefined
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'infernet-node-'))
  const signer = options.signer ?? (await createFastSigner(generateSecretKey()))
  const backend = 'chat' in options.backend ? options.backend : createBackend({ kind: options.backend.kind, baseUrl: options.backend.baseUrl, timeoutMs: options.backend.timeoutMs })
  const config = defaultNodeConfig({
    backend: backend.kind,
    port: 0,
    relays: options.relays,
    ...(options.price ? { priceIn: options.price.input, priceOut: options.price.output } : {}),
    ...(options.models ? { models: options.models } : {}),
    ...(options.maxConcurrency !== undefined ? { maxConcurrency: options.maxConcurrency } : {}),
    ...(options.maxQueue !== undefined ? { maxQueue: options.maxQueue } : {}),
    ...options.config,
  })
  const daemon = createNodeDaemon({
    signer,
    backend,
    relays: options.relays,
    config,
    home,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    payment: options.payment,
    paymentTerms: options.paymentTerms,
    gpu: options.gpu,
    logger: options.logLevel ? createLogger({ component: 'node', level: options.logLevel }) : undefined,
  })
  await daemon.start()
  return {
    pubkey: signer.pubkey,
    signer,
    streamUrl: daemon.streamUrl,
    daemon,
    home,
    async stop() {
      await daemon.stop()
      if (ownHome) rmSync(home, { recursive: true, force: true })
    },
  }
}

export type SpawnNodeOptions = {
  relays: string[]
  backendUrl: string
  backendKind: BackendKind
  /** Keep the same home across restarts to keep the key and the dedupe database. */
  home: string
  env?: Record<string, string> | undefined
  args?: string[] | undefined
}

export type SpawnedNode = { pubkey: string; streamUrl: string; child: ChildProcess; stop(signal?: NodeJS.Signals): Promise<void> }

/** Runs `node bin/infernet.js start --json --port 0 ...` and waits for its ready line (stretched with the load). */
export async function spawnNodeProcess(options: SpawnNodeOptions): Promise<SpawnedNode> {
  reapChildrenOnExit()
  const { ready, child, stop } = await startChild({
    name: 'node process',
    args: ['start', '--home', options.home, '--port', '0', '--backend', options.backendKind, '--backend-url', options.backendUrl, ...options.relays.flatMap((r) => ['--relay', r]), ...(options.args ?? [])],
    env: { INFERNET_LOG_LEVEL: 'warn', ...options.env },
    timeoutMs: scaled(30_000),
  })
  return { pubkey: String(ready.pubkey), streamUrl: ready.url, child, stop }
}
