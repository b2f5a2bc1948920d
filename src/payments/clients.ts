// viem clients for the settlement chain, built from PaymentsConfig. One request per call (no retries), with a
// timeout, so a down or slow RPC surfaces at once as ChainUnavailableError instead of hanging.
import { createPublicClient, createWalletClient, defineChain, http } from 'viem'
import type { Account, Chain, PublicClient, Transport, WalletClient } from 'viem'
import type { PaymentsConfig } from './config.ts'

export type SettlementClient = {
  publicClient: PublicClient
  walletClient?: WalletClient<Transport, Chain, Account> | undefined
  rpcUrl?: string | undefined
}

function settlementChain({ chainId, chainRpc }: Pick<PaymentsConfig, 'chainId' | 'chainRpc'>): Chain {
  return defineChain({
    id: chainId,
    name: chainId === 31337 ? 'Anvil' : `Chain ${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [chainRpc] } },
  })
}

export function createSettlementClient(config: Pick<PaymentsConfig, 'chainId' | 'chainRpc' | 'rpcTimeoutMs'>, account?: Account | undefined): SettlementClient {
  const chain = settlementChain(config)
  const transport = http(config.chainRpc, { timeout: config.rpcTimeoutMs, retryCount: 0 })
  // A dev chain mines at once; a public chain's blocks take seconds.
  const pollingInterval = config.chainId === 31337 ? 50 : 2_000
  const publicClient = createPublicClient({ chain, transport, pollingInterval }) as PublicClient
  const walletClient = account ? createWalletClient({ chain, transport, account, pollingInterval }) : undefined
  return { publicClient, walletClient, rpcUrl: config.chainRpc }
}
