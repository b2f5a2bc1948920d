// Chain configuration for payments, shared by the node (payout, wallet) and the client (deposit, balance,
// withdraw). Local development: `npx anvil` (chain id 31337, RPC http://127.0.0.1:8545), then deploy the
// contract with `deploySettlement` (see nips/cpr.md, "Local dev chain").
import { getAddress, isAddress, zeroAddress } from 'viem'
import type { Address } from 'viem'
import { key, loadConfig, parsers } from '../config/load.ts'
import type { LoadConfigOptions } from '../config/load.ts'
import { PaymentsNotConfiguredError } from './errors.ts'

const address = (raw: unknown): string => {
  const s = String(raw).trim()
  if (s === '') return ''
  if (!isAddress(s, { strict: false })) throw new Error(`expected a 0x-prefixed 20-byte address, got "${s}"`)
  return getAddress(s)
}

export const paymentsSchema = {
  chainRpc: key('INFERNET_CHAIN_RPC', 'http://127.0.0.1:8545', 'JSON-RPC URL of the settlement chain (anvil by default)', parsers.string, true),
  chainId: key('INFERNET_CHAIN_ID', 31337, 'Chain id of the settlement chain (31337 = local anvil)', parsers.int),
  settlementAddress: key('INFERNET_SETTLEMENT_ADDRESS', '', 'Address of the InfernetSettlement contract', address),
  token: key('INFERNET_TOKEN', '', 'ERC-20 token address for payments; empty = native coin', address),
  rpcTimeoutMs: key('INFERNET_CHAIN_TIMEOUT_MS', 10_000, 'Timeout of one chain RPC request, in ms', parsers.int),
}

export type PaymentsConfig = {
  chainRpc: string
  chainId: number
  settlementAddress: Address
  /** zeroAddress = native coin. */
  token: Address
  rpcTimeoutMs: number
}

/** Loads and checks the chain keys; throws PaymentsNotConfiguredError when no settlement contract is set. */
export function loadPaymentsConfig(options: LoadConfigOptions = {}): PaymentsConfig {
  const { values } = loadConfig(paymentsSchema, options)
  if (!values.settlementAddress) throw new PaymentsNotConfiguredError('INFERNET_SETTLEMENT_ADDRESS')
  return {
    chainRpc: values.chainRpc,
    chainId: values.chainId,
    settlementAddress: values.settlementAddress as Address,
    token: (values.token || zeroAddress) as Address,
    rpcTimeoutMs: values.rpcTimeoutMs,
  }
}
