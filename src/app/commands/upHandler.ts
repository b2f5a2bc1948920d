// `infernet up` in the foreground: start the network, then stop every process on SIGINT/SIGTERM.
import { startNetwork, type UpParameters } from '../up/up.ts'

export async function runUp(p: UpParameters): Promise<void> {
  const network = await startNetwork(p)
  await new Promise<void>((resolveStop) => {
    let stopping = false
    const shutdown = (signal: string) => {
      if (stopping) return
      stopping = true
      p.logger.info(`${signal}: stopping every process`)
      void network.stop().then(resolveStop)
    }
    process.once('SIGINT', () => shutdown('SIGINT'))
    process.once('SIGTERM', () => shutdown('SIGTERM'))
    // A child dying on its own is worth saying; the rest keeps running.
    for (const c of network.children) c.child.once('exit', (code, signal) => !stopping && p.logger.warn(`${c.name} exited (${signal ?? `code ${code}`})`))
  })
  p.logger.info('stopped')
}
