// Test relays: in-process (memory store, or SQLite when dbPath is given) and as a spawned `infernet relay`
// process. Both listen on 127.0.0.1 with a free port; callers must close/stop what they start.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { RelayConfig } from '../../relay/config.ts'
import { createRelay } from '../../relay/relay.ts'
import { startRelayServer } from '../../relay/server.ts'
import { createMemoryStore } from '../../relay/store/memory.ts'
import { createSqliteStore } from '../../relay/store/sqlite.ts'

export type TestRelay = { url: string; close(): Promise<void> }

export async function startRelay(options: { dbPath?: string | undefined; config?: Partial<RelayConfig> | undefined } = {}): Promise<TestRelay> {
  const store = options.dbPath ? createSqliteStore({ path: options.dbPath }) : createMemoryStore()
  const relay = createRelay({ store, config: options.config })
  const server = await startRelayServer({ relay, host: '127.0.0.1', port: 0 })
  return { url: server.url, close: () => server.close() }
}

export type SpawnedRelay = { url: string; child: ChildProcess; stop(signal?: NodeJS.Signals): Promise<void> }

/** Runs `node bin/infernet.js relay --port 0 --db <dbPath> --json` and waits for its ready line. */
export async function spawnRelayProcess(options: { dbPath: string; args?: string[] | undefined; env?: Record<string, string> | undefined }): Promise<SpawnedRelay> {
  const bin = new URL('../../bin/infernet.js', import.meta.url).pathname
  const child = spawn(process.execPath, [bin, 'relay', '--host', '127.0.0.1', '--port', '0', '--db', options.dbPath, '--json', ...(options.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, INFERNET_RELAY_LOG_LEVEL: 'warn', ...options.env },
  })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000)
  })
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`relay process did not print its ready line within 20s\n${stderr}`))
    }, 20_000)
    lines.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { ready?: boolean; url?: string }
        if (msg.ready && msg.url) {
          clearTimeout(timer)
          resolve(msg.url)
        }
      } catch {
        // not the ready line
      }
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`relay process exited (${code ?? signal}) before it was ready\n${stderr}`))
    })
  })
  return {
    url,
    child,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      await exited
    },
  }
}
