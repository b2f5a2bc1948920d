import type { SettlementClient } from './clients.ts'
import { toSettlementError } from './contract.ts'

/** Runs a raw viem call, mapping an unreachable RPC to ChainUnavailableError. */
export async function guardRpc<T>(client: SettlementClient, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw toSettlementError(err, 'rpc', client.rpcUrl)
  }
}
