// `infernet start [--daemon] [--json]`. Foreground: runs the daemon until SIGTERM/SIGINT, writes the pid file
// once ready, prints one ready line. --daemon: re-runs itself detached with output to the log file, waits for
// the child's pid file, prints the same ready line and exits.
import { spawn } from 'node:child_process'
import { mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs'
import WebSocket from 'ws'
import { printJson } from '../../src/cli/command.ts'
import { exitOnSignals } from '../../src/cli/exitOnSignals.ts'
import { BaseError } from '../../src/errors/base.ts'
import { keyPath, loadOrCreateIdentity } from '../../src/keys/identity.ts'
import { createLogger, type LogLevel } from '../../src/log.ts'
import type { WebSocketConstructor } from '../../src/net/relayPool.ts'
import { createFastSigner } from '../../src/schnorr/fastest.ts'
import { createBackend } from '../backends/index.ts'
import type { NodeCommandArguments } from './arguments.ts'
import { logFilePath, nodeDataDir, pidFilePath } from '../config.ts'
import { createNodeDaemon } from '../daemon.ts'
import { setupNodePayments } from './startPayments.ts'
import { isAlive, loadFromArgv, createGpuProbe, readPidFile } from './common.ts'

export class NodeAlreadyRunningError extends BaseError {
  override name = 'NodeAlreadyRunningError'
  override code = 'node-running'
  constructor(pid: number, url: string) {
    super(`A node is already running from this home (pid ${pid}, ${url}).`, { metaMessages: ['Stop it with `infernet stop`, or use another --home.'] })
  }
}

function printReady(json: boolean | undefined, url: string, pubkey: string, extra: Record<string, unknown> = {}) {
  if (json) printJson({ ready: true, url, pubkey, ...extra })
  else process.stdout.write(`Node ${pubkey} is serving on ${url}\n`)
}

export async function runStart(argv: NodeCommandArguments): Promise<void> {
  const { home, config } = loadFromArgv(argv)
  const running = readPidFile(home)
  if (running && isAlive(running.pid)) throw new NodeAlreadyRunningError(running.pid, running.url)
  mkdirSync(nodeDataDir(home), { recursive: true, mode: 0o700 })
  if (argv.daemon) return detach(argv, home)

  const { identity } = loadOrCreateIdentity(keyPath(home))
  const logger = createLogger({ component: 'node', level: config.logLevel as LogLevel })
  const signer = await createFastSigner(identity.secretKey, { onFallback: (line) => logger.warn(line) })
  const payments = await setupNodePayments({ home, identity, config, signer, logger })
  const backend = createBackend({ kind: config.backend, baseUrl: config.backendUrl || undefined, timeoutMs: config.backendTimeoutMs })
  const daemon = createNodeDaemon({
    signer,
    backend,
    relays: config.relays,
    config,
    home,
    logger,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    gpu: createGpuProbe(),
    payment: payments?.gate,
    paymentTerms: payments?.terms,
    watchWithdrawals: payments?.watchWithdrawals,
  })
  await daemon.start()
  writeFileSync(pidFilePath(home), JSON.stringify({ pid: process.pid, url: daemon.streamUrl, pubkey: signer.pubkey, startedAt: Math.floor(Date.now() / 1000), statusToken: daemon.statusToken }) + '\n', { mode: 0o600 })
  printReady(argv.json, daemon.streamUrl, signer.pubkey, { npub: identity.npub })
  // A daemon that fails to stop cleanly still releases its payments store and pid file, and exits 0.
  exitOnSignals(logger, async () => {
    await daemon.stop().catch((err: Error) => logger.error('stop failed', { error: err.message }))
    payments?.close()
    const pid = readPidFile(home)
    if (pid?.pid === process.pid) rmSync(pidFilePath(home), { force: true })
  })
}

async function detach(argv: NodeCommandArguments, home: string): Promise<void> {
  const bin = new URL('../../bin/infernet.js', import.meta.url).pathname
  const args = process.argv.slice(2).filter((a) => a !== '--daemon' && a !== '-d')
  if (!args.includes('--home')) args.push('--home', home)
  const log = openSync(logFilePath(home), 'a', 0o600)
  const child = spawn(process.execPath, [bin, ...args], { detached: true, stdio: ['ignore', log, log] })
  child.unref()
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const pid = readPidFile(home)
    if (pid && pid.pid === child.pid) {
      printReady(argv.json, pid.url, pid.pubkey, { pid: pid.pid, log: logFilePath(home) })
      return
    }
    if (child.exitCode !== null) break
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new BaseError('The node daemon did not start.', { metaMessages: [`See the log: ${logFilePath(home)}`, 'Or run `infernet start` without --daemon to see the error.'] })
}
