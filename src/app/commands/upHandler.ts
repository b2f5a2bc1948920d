// `infernet up` in the foreground: start the network, then stop every process on SIGINT/SIGTERM. The dev chain is
// what every receipt is checked and redeemed against, so when anvil exits on its own the whole network stops and
// says so (exit code 1); any other child exiting is reported and the rest keeps running.
import { BaseError } from '../../errors/base.ts'
import { startNetwork, type UpParameters } from '../up/up.ts'

export class DevChainExitedError extends BaseError {
  override name = 'DevChainExitedError'
  override code = 'devchain-exited'
  constructor(how: string) {
    super(`The dev chain (anvil) exited (${how}) while the network was running; every process was stopped.`, {
      metaMessages: ['Receipts can no longer be checked or redeemed without it.', 'Run `infernet up` again (--verbose shows every process log).'],
    })
  }
}

export async function runUp(p: UpParameters): Promise<void> {
  const network = await startNetwork(p)
  let chainGone: string | undefined
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
    void network.devnet?.chain.exited.then(({ code, signal }) => {
      if (stopping) return
      chainGone = signal ?? `code ${code}`
      p.logger.error(`the dev chain (anvil) exited (${chainGone}): receipts can no longer be checked or redeemed`)
      shutdown('dev chain gone')
    })
  })
  if (chainGone) throw new DevChainExitedError(chainGone)
  p.logger.info('stopped')
}
