// Whether a process runs, from its pid (a pid file's owner): signal 0 checks without sending anything; EPERM means
// it runs under another user.
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
