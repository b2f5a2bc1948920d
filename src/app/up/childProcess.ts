// Runs one `infernet <command> --json` child and waits for its ready line ({"ready":true,...} on stdout).
// The child's stderr (its logs) is prefixed with its name and forwarded, or kept in a ring for error reports.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { BaseError } from '../../errors/base.ts'

export const cliPath = fileURLToPath(new URL('../../../bin/infernet.js', import.meta.url))

export type Ready = { ready: true; url: string; [key: string]: unknown }

export type ManagedChild = {
  name: string
  child: ChildProcess
  ready: Ready
  /** Sends `signal` (SIGTERM by default), then SIGKILL after `graceMs`. Resolves when the process is gone. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>
}

export class ChildStartError extends BaseError {
  override name = 'ChildStartError'
  override code = 'child-start'
  constructor(name: string, reason: string, logTail: string) {
    super(`${name} did not start: ${reason}`, { details: logTail ? `last log lines:\n${logTail}` : undefined })
  }
}

export type StartChildParameters = {
  name: string
  args: string[]
  env?: Record<string, string | undefined> | undefined
  /** Where the child's log lines go (default: dropped, but kept for error reports). */
  onLog?: ((line: string) => void) | undefined
  timeoutMs?: number | undefined
}

export async function startChild({ name, args, env = {}, onLog, timeoutMs = 60_000 }: StartChildParameters): Promise<ManagedChild> {
  const child = spawn(process.execPath, [cliPath, ...args, '--json'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const tail: string[] = []
  let stderrBuffer = ''
  child.stderr!.on('data', (chunk: Buffer) => {
    stderrBuffer += chunk.toString()
    let nl: number
    while ((nl = stderrBuffer.indexOf('\n')) >= 0) {
      const line = stderrBuffer.slice(0, nl)
      stderrBuffer = stderrBuffer.slice(nl + 1)
      tail.push(line)
      if (tail.length > 40) tail.shift()
      onLog?.(`[${name}] ${line}`)
    }
  })
  const ready = await new Promise<Ready>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new ChildStartError(name, `no ready line within ${timeoutMs / 1000} s`, tail.join('\n')))
    }, timeoutMs)
    const onData = (chunk: Buffer) => {
      out += chunk.toString()
      for (const line of out.split('\n')) {
        try {
          const parsed = JSON.parse(line) as Ready
          if (parsed && parsed.ready === true) {
            clearTimeout(timer)
            child.stdout!.off('data', onData)
            child.stdout!.resume()
            child.off('exit', onExit)
            return resolve(parsed)
          }
        } catch {
          // not the ready line (yet)
        }
      }
    }
    const onExit = (code: number | null, signal: string | null) => {
      clearTimeout(timer)
      reject(new ChildStartError(name, `exited with ${signal ?? `code ${code}`}`, tail.join('\n')))
    }
    child.stdout!.on('data', onData)
    child.once('exit', onExit)
  })
  return {
    name,
    child,
    ready,
    stop: (signal = 'SIGTERM', graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        const killer = setTimeout(() => child.kill('SIGKILL'), graceMs)
        child.once('exit', () => {
          clearTimeout(killer)
          resolve()
        })
        child.kill(signal)
      }),
  }
}
