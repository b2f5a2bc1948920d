// `infernet stop`, `infernet status [--json]`, `infernet logs [--follow]`: they talk to the daemon through its pid
// file (pid, stream URL and the status token) and its GET /status.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs'
import { printJson, table } from '../../src/cli/command.ts'
import { resolveHome } from '../../src/config/common.ts'
import { BaseError } from '../../src/errors/base.ts'
import type { NodeCommandArguments } from './arguments.ts'
import { logFilePath } from '../config.ts'
import type { NodeStats } from '../daemon.ts'
import { isAlive, readPidFile } from './common.ts'

export class NodeNotRunningError extends BaseError {
  override name = 'NodeNotRunningError'
  override code = 'node-not-running'
  constructor(home: string) {
    super(`No node is running from ${home}.`, { metaMessages: ['Start one with `infernet start` (add --daemon to detach).'] })
  }
}

export async function runStop(argv: NodeCommandArguments): Promise<void> {
  const home = resolveHome(argv)
  const pid = readPidFile(home)
  if (!pid || !isAlive(pid.pid)) throw new NodeNotRunningError(home)
  process.kill(pid.pid, 'SIGTERM')
  const deadline = Date.now() + 20_000
  while (isAlive(pid.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
  if (isAlive(pid.pid)) throw new BaseError(`Node (pid ${pid.pid}) did not stop within 20 s.`, { metaMessages: [`Kill it with: kill -9 ${pid.pid}`] })
  if (argv.json) printJson({ stopped: true, pid: pid.pid })
  else process.stdout.write(`Stopped node (pid ${pid.pid}).\n`)
}

async function fetchStatus(home: string): Promise<NodeStats> {
  const pid = readPidFile(home)
  if (!pid || !isAlive(pid.pid)) throw new NodeNotRunningError(home)
  const url = new URL('/status', pid.url.replace('://0.0.0.0', '://127.0.0.1'))
  const res = await fetch(url, { headers: pid.statusToken ? { authorization: `Bearer ${pid.statusToken}` } : {} })
  if (!res.ok) throw new BaseError(`The node answered ${res.status} to GET /status.`, { metaMessages: ['Ensure that the pid file belongs to the running node (restart it with `infernet start` if it was written by an older version).'] })
  return (await res.json()) as NodeStats
}

export async function runStatus(argv: NodeCommandArguments): Promise<void> {
  const s = await fetchStatus(resolveHome(argv))
  if (argv.json) return printJson(s)
  const rows = [
    { key: 'pubkey', value: s.pubkey },
    { key: 'stream', value: s.streamUrl },
    { key: 'announced', value: s.announcedStream ?? '(none: relay transport only)' },
    { key: 'backend', value: `${s.backend.kind} ${s.backend.url} ${s.backend.healthy === false ? '(unhealthy)' : ''}`.trim() },
    { key: 'models', value: s.models.join(', ') || '(none)' },
    { key: 'price', value: `${s.price.input} in / ${s.price.output} out per million tokens` },
    { key: 'slots', value: `${s.slots.free} free of ${s.slots.total}` },
    { key: 'queue', value: s.queued },
    { key: 'jobs', value: `${s.jobs.done} done, ${s.jobs.failed} failed` },
    { key: 'ttft', value: s.ttftMs === null ? '-' : `${s.ttftMs} ms` },
    { key: 'tokens/s', value: s.tps ?? '-' },
    ...s.relays.map((r) => ({ key: 'relay', value: `${r.url} ${r.connected ? 'connected' : 'disconnected'}` })),
  ]
  process.stdout.write(table(rows) + '\n')
}

export async function runLogs(argv: NodeCommandArguments): Promise<void> {
  const path = logFilePath(resolveHome(argv))
  if (!existsSync(path)) throw new BaseError(`No log file at ${path}.`, { metaMessages: ['Logs are written there by `infernet start --daemon`; a foreground node logs to stderr.'] })
  let pos = 0
  const pump = () => {
    const size = statSync(path).size
    if (size < pos) pos = 0
    if (size === pos) return
    const fd = openSync(path, 'r')
    const buf = Buffer.alloc(size - pos)
    readSync(fd, buf, 0, buf.length, pos)
    closeSync(fd)
    pos = size
    process.stdout.write(buf)
  }
  pump()
  if (!argv.follow) return
  await new Promise<void>((resolve) => {
    const t = setInterval(pump, 250)
    process.once('SIGINT', () => {
      clearInterval(t)
      resolve()
    })
  })
}
