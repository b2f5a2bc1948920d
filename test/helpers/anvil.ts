// A real EVM dev chain for tests: anvil on 127.0.0.1 with a port picked by the OS. Call stop() in `after`; if the
// test file is stopped first (its timeout), reapOnExit.ts kills anvil. The ready wait stretches with the load.
import { startDevChain, type DevChain } from '../../src/devchain/anvil.ts'
import { reapChildrenOnExit } from './reapOnExit.ts'
import { scaled } from './timeScale.ts'

export type Anvil = DevChain

export function startAnvil(parameters: { accounts?: number | undefined; chainId?: number | undefined } = {}): Promise<Anvil> {
  reapChildrenOnExit()
  return startDevChain({ ...parameters, readyTimeoutMs: scaled(20_000) })
}
