// The chain side of `infernet up`: a local anvil, the settlement contract deployed from anvil's first account,
// gas for every node, and the gateway's escrow funded with one channel per node. Local development only.
import { parseEther, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { startDevChain, type DevChain } from '../../devchain/anvil.ts'
import { createSettlementClient } from '../../payments/clients.ts'
import { deploySettlement, deposit } from '../../payments/contract.ts'

export type Devnet = {
  chain: DevChain
  settlement: Address
  /** Environment for every process that pays or gets paid on this chain. */
  env: Record<string, string>
}

const rpcTimeoutMs = 10_000

export async function startDevnet({ withdrawDelaySeconds = 3600 }: { withdrawDelaySeconds?: number } = {}): Promise<Devnet> {
  const chain = await startDevChain()
  try {
    const deployer = createSettlementClient({ chainId: chain.chainId, chainRpc: chain.rpcUrl, rpcTimeoutMs }, privateKeyToAccount(chain.accounts[0]!))
    const { address } = await deploySettlement(deployer, { withdrawDelay: withdrawDelaySeconds })
    return {
      chain,
      settlement: address,
      env: { INFERNET_CHAIN_RPC: chain.rpcUrl, INFERNET_CHAIN_ID: String(chain.chainId), INFERNET_SETTLEMENT_ADDRESS: address },
    }
  } catch (err) {
    await chain.stop()
    throw err
  }
}

/** Sends `amount` of the native coin from anvil's funded account `from` to each address. */
export async function fund(devnet: Devnet, to: Address[], amount: bigint, from = 1): Promise<void> {
  const funder = createSettlementClient({ chainId: devnet.chain.chainId, chainRpc: devnet.chain.rpcUrl, rpcTimeoutMs }, privateKeyToAccount(devnet.chain.accounts[from]!))
  for (const address of to) {
    const hash = await funder.walletClient!.sendTransaction({ to: address, value: amount })
    await funder.publicClient.waitForTransactionReceipt({ hash })
  }
}

/** The payer (the gateway) opens one channel per payee with `amount` each. */
export async function fundChannels(devnet: Devnet, payerKey: Hex, payees: Address[], amount: bigint): Promise<void> {
  const payer = createSettlementClient({ chainId: devnet.chain.chainId, chainRpc: devnet.chain.rpcUrl, rpcTimeoutMs }, privateKeyToAccount(payerKey))
  for (const payee of payees) await deposit(payer, { address: devnet.settlement, payee, amount })
}

export const defaultEscrowPerNode = parseEther('1')
