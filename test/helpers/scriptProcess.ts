// Runs a TypeScript file as its own Node process (through tsx) that prints one JSON line {"ready":true,"url":...}
// on stdout when it listens, and stops on SIGTERM: the third-party relay and the benches' floor relay. The wait is
// on events (the ready line, or the exit), not a clock; reapOnExit.ts stops the process if this one is stopped first.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { reapChildrenOnExit } from './reapOnExit.ts'

export type ScriptProcess = { url: string; pid: number; stop(signal?: NodeJS.Signals): Promise<void> }

export async function spawnScriptProcess(script: string, args: string[]): Promise<ScriptProcess> {
  reapChildrenOnExit()
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const m = JSON.parse(line) as { ready?: boolean; url?: string }
        if (m.ready && m.url) resolve(m.url)
      } catch {
        // not the ready line
      }
    })
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)))
  })
  return {
    url,
    pid: child.pid!,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill(signal)
      await exited
    },
  }
}

export const thirdPartyRelayScript = new URL('./thirdPartyRelayProcess.ts', import.meta.url).pathname
