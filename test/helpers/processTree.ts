// The processes a process started, and theirs: read from /proc on Linux, from `ps` elsewhere. Used to prove that
// nothing outlives a test (up.test.ts, reapOnExit.test.ts) and, by reapOnExit.ts, to stop what would.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

/** pid -> parent pid of every process visible now. */
function parents(): Map<number, number> {
  const parent = new Map<number, number>()
  if (process.platform === 'linux') {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
        // The command name (field 2) may hold spaces and parentheses: the fields after it follow the last ')'.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        parent.set(Number(name), Number(fields[1]))
      } catch {
        // gone
      }
    }
    return parent
  }
  const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' })
  for (const line of out.split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number)
    if (pid && ppid !== undefined && !Number.isNaN(ppid)) parent.set(pid, ppid)
  }
  return parent
}

/** Every live descendant of `root`, parents before their children. */
export function descendants(root: number): number[] {
  const byParent = new Map<number, number[]>()
  for (const [pid, ppid] of parents()) byParent.set(ppid, [...(byParent.get(ppid) ?? []), pid])
  const out: number[] = []
  const queue = [root]
  while (queue.length > 0) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      if (out.includes(child)) continue
      out.push(child)
      queue.push(child)
    }
  }
  return out
}

/** True while `pid` runs (a zombie, dead but not yet reaped by its parent, counts as gone). */
export function isAlive(pid: number): boolean {
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
    } catch {
      return false
    }
  }
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
