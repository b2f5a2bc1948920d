// Before `infernet up` starts anything: the ports it was asked for are free and no other `infernet up` uses its
// data folder. A second `npm start` used to end in "relay did not start: exited with code 1"; now it says what
// is taken and how to get past it.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { isAlive } from '../../cli/processAlive.ts'
import { BaseError } from '../../errors/base.ts'

export class PortTakenError extends BaseError {
  override name = 'PortTakenError'
  override code = 'port-taken'
  constructor({ port, role, flag }: { port: number; role: string; flag: string }) {
    super(`Port ${port} on 127.0.0.1 (the ${role}) is taken.`, {
      metaMessages: [`Is another \`infernet up\` running? Stop it (Ctrl-C), or pick another port with ${flag} (0 = any free port).`],
    })
  }
}

export class DataDirInUseError extends BaseError {
  override name = 'DataDirInUseError'
  override code = 'data-dir-in-use'
  constructor({ dir, pid }: { dir: string; pid: number }) {
    super(`The data folder ${dir} is in use by another \`infernet up\` (pid ${pid}).`, {
      metaMessages: ['Stop that one first, or give this one its own folder with --data DIR.'],
    })
  }
}

/** Resolves when `port` can be bound on 127.0.0.1 (port 0 always can). */
export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  if (port === 0) return Promise.resolve(true)
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

export async function requireFreePorts(ports: { port: number; role: string; flag: string }[]): Promise<void> {
  for (const p of ports) if (!(await portIsFree(p.port))) throw new PortTakenError(p)
}

/** Claims the data folder for this process (a pid file); a stale file from a crashed run is taken over. */
export function claimDataDir(dir: string, pid = process.pid): () => void {
  const file = join(dir, 'up.pid')
  if (existsSync(file)) {
    const other = Number(readFileSync(file, 'utf8').trim())
    if (Number.isInteger(other) && other > 0 && other !== pid && isAlive(other)) throw new DataDirInUseError({ dir, pid: other })
  }
  writeFileSync(file, `${pid}\n`)
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(pid)) rmSync(file)
    } catch {
      // already gone
    }
  }
}
