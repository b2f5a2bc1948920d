// Test coordinators: in-process (`startCoordinator`, port 0 on 127.0.0.1) and as a spawned
// `infernet coordinator --json` process (`spawnCoordinatorProcess`, for kill/restart tests). Close what you start.
//
//   const coord = await startCoordinator({ relays: [relay.url] })
//   await fetch(`${coord.url}/api/v1/nodes?model=llama3`); coord.coordinator.market; await coord.close()
import { startChild } from '../../src/app/up/childProcess.ts'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { keyPath, loadOrCreateIdentity } from '../../src/keys/identity.ts'
import { createLogger } from '../../src/log.ts'
import type { WebSocketConstructor } from '../../src/net/relayPool.ts'
import { createFastSigner } from '../../src/schnorr/fastest.ts'
import type { Signer } from '../../src/signer.ts'
import type { ReceiptIssuer } from '../../client/receipts.ts'
import type { ApiKeySpec } from '../../src/coordinator/apiKeys.ts'
import { createCoordinator, type Coordinator } from '../../src/coordinator/app.ts'
import type { CoordinatorConfig } from '../../src/coordinator/config.ts'
import type { GatewayNetwork } from '../../src/coordinator/gateway/network.ts'
import { startCoordinatorServer } from '../../src/coordinator/server.ts'
import { reapChildrenOnExit } from './reapOnExit.ts'
import { scaled } from './timeScale.ts'

export type StartCoordinatorOptions = {
  relays: string[]
  /** SQLite cache; default a file in a fresh temp dir (removed on close). */
  dbPath?: string | undefined
  apiKeys?: (ApiKeySpec | string)[] | undefined
  /** INFERNET_HOME holding the gateway's key; default a fresh temp dir. */
  home?: string | undefined
  signer?: Signer | undefined
  network?: GatewayNetwork | undefined
  /** The gateway's voucher signer: without it the gateway pays no receipts (free nodes only). */
  receipts?: ReceiptIssuer | undefined
  config?: Partial<CoordinatorConfig> | undefined
  random?: (() => number) | undefined
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | undefined
}

export type TestCoordinator = { url: string; coordinator: Coordinator; signer: Signer; close(): Promise<void> }

export async function startCoordinator(options: StartCoordinatorOptions): Promise<TestCoordinator> {
  const tmp = mkdtempSync(join(tmpdir(), 'infernet-coord-'))
  const home = options.home ?? tmp
  // The same signer as `infernet coordinator` (libsecp256k1), so benches measure what production runs.
  const signer = options.signer ?? (await createFastSigner(loadOrCreateIdentity(keyPath(home)).identity.secretKey))
  const coordinator = createCoordinator({
    relays: options.relays,
    dbPath: options.dbPath ?? join(tmp, 'coordinator.db'),
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    signer,
    network: options.network,
    receipts: options.receipts,
    apiKeys: options.apiKeys?.map((k) => (typeof k === 'string' ? { key: k } : k)),
    config: { flushMs: 10, ...options.config },
    random: options.random,
    logger: options.logLevel ? createLogger({ component: 'coordinator', level: options.logLevel }) : undefined,
  })
  const server = await startCoordinatorServer({ coordinator, host: '127.0.0.1', port: 0 })
  return {
    url: server.url,
    coordinator,
    signer,
    async close() {
      await server.close()
      rmSync(tmp, { recursive: true, force: true })
    },
  }
}

export type SpawnedCoordinator = { url: string; child: ChildProcess; stop(signal?: NodeJS.Signals): Promise<void> }

/** Runs `node bin/infernet.js coordinator --port 0 --json` and waits for its ready line (stretched with the load). */
export async function spawnCoordinatorProcess(options: { relays: string[]; dbPath: string; home: string; args?: string[] | undefined; env?: Record<string, string> | undefined }): Promise<SpawnedCoordinator> {
  reapChildrenOnExit()
  const { ready, child, stop } = await startChild({
    name: 'coordinator',
    args: ['coordinator', '--home', options.home, '--host', '127.0.0.1', '--port', '0', '--db', options.dbPath, ...options.relays.flatMap((r) => ['--relay', r]), ...(options.args ?? [])],
    env: { INFERNET_COORDINATOR_LOG_LEVEL: 'warn', INFERNET_COORDINATOR_FLUSH_MS: '10', ...options.env },
    timeoutMs: scaled(20_000),
  })
  return { url: ready.url, child, stop }
}

export function tempDir(prefix = 'infernet-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}
