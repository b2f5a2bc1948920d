// Test relays: in-process (memory store, or SQLite when dbPath is given) and as a spawned `infernet relay`
// process. Both listen on 127.0.0.1 with a free port; callers must close/stop what they start.
import { startChild } from '../../src/app/up/childProcess.ts'
import type { ChildProcess } from 'node:child_process'
import type { RelayConfig } from '../../relay/config.ts'
import { createRelay } from '../../relay/relay.ts'
import { startRelayServer } from '../../relay/server.ts'
import { createMemoryStore } from '../../relay/store/memory.ts'
import { createSqliteStore } from '../../relay/store/sqlite.ts'
import { reapChildrenOnExit } from './reapOnExit.ts'
import { scaled } from './timeScale.ts'

export type TestRelay = { url: string; close(): Promise<void> }

export async function startRelay(options: { dbPath?: string | undefined; config?: Partial<RelayConfig> | undefined } = {}): Promise<TestRelay> {
  const store = options.dbPath ? createSqliteStore({ path: options.dbPath }) : createMemoryStore()
  const relay = createRelay({ store, config: options.config })
  const server = await startRelayServer({ relay, host: '127.0.0.1', port: 0 })
  return { url: server.url, close: () => server.close() }
}

export type SpawnedRelay = { url: string; child: ChildProcess; stop(signal?: NodeJS.Signals): Promise<void> }

/** Runs `node bin/infernet.js relay --port 0 --db <dbPath> --json` and waits for its ready line (stretched with the load). */
export async function spawnRelayProcess(options: { dbPath: string; args?: string[] | undefined; env?: Record<string, string> | undefined }): Promise<SpawnedRelay> {
  reapChildrenOnExit()
  const { ready, child, stop } = await startChild({
    name: 'relay process',
    args: ['relay', '--host', '127.0.0.1', '--port', '0', '--db', options.dbPath, ...(options.args ?? [])],
    env: { INFERNET_RELAY_LOG_LEVEL: 'warn', ...options.env },
    timeoutMs: scaled(20_000),
  })
  return { url: ready.url, child, stop }
}
