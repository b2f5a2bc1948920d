// A real EVM dev chain for tests: anvil on 127.0.0.1 with a port picked by the OS. Call stop() in `after`.
import { startDevChain, type DevChain } from '../../src/devchain/anvil.ts'

export type Anvil = DevChain

export function startAnvil(parameters: { accounts?: number | undefined; chainId?: number | undefined } = {}): Promise<Anvil> {
  return startDevChain(parameters)
}
