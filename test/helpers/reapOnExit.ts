// A test process never leaves a process behind. node:test stops a test file that ran past its timeout with SIGTERM,
// which skips 'exit' handlers and every t.after(), so the relays, anvils, nodes and engines the file spawned would
// outlive it (and keep their ports and CPU). Once armed, the first of exit, SIGTERM, SIGINT or SIGHUP SIGKILLs every
// descendant of this process, collected before any dies so that grandchildren (anvil's binary under its npm
// wrapper, the children of `infernet up`) are not lost to re-parenting. The helpers that spawn arm it; arming twice
// is a no-op. A SIGKILL of the test process itself cannot be caught: nothing here covers that.
import { descendants } from './processTree.ts'

let armed = false

/** SIGKILLs every descendant of this process; returns their pids. */
export function killDescendants(): number[] {
  const pids = descendants(process.pid)
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  return pids
}

const signalNumbers = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const

export function reapChildrenOnExit(): void {
  if (armed) return
  armed = true
  process.once('exit', () => void killDescendants())
  for (const signal of Object.keys(signalNumbers) as (keyof typeof signalNumbers)[]) {
    process.once(signal, () => {
      killDescendants()
      process.exit(128 + signalNumbers[signal])
    })
  }
}
