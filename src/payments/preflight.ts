// Checks a payment command makes before it sends anything, so a person gets one line that says what is wrong
// (no contract at that address, no coin to pay for gas) instead of viem's whole request dump.
import { formatEther, InsufficientFundsError, BaseError as ViemBaseError, zeroAddress } from 'viem'
import type { Address } from 'viem'
import { settlementAbi } from '../contracts/settlementAbi.ts'
import { BaseError } from '../errors/base.ts'
import type { SettlementClient } from './clients.ts'
import { guardRpc } from './guardRpc.ts'
import { toSettlementError } from './contract.ts'

const docsPath = 'cpr.md'

export class NoSettlementContractError extends BaseError {
  override name = 'NoSettlementContractError'
  override code = 'no-settlement-contract'
  constructor({ address, chainId, reason }: { address: Address; chainId: number; reason: string }) {
    super(`There is no settlement contract at ${address} on chain ${chainId} (${reason}).`, {
      docsPath,
      metaMessages: ['Check --contract (INFERNET_SETTLEMENT_ADDRESS) and --rpc / --chain-id: `infernet up` prints the local contract; a public network lists it in its docs.'],
    })
  }
}

export class AccountUnfundedError extends BaseError {
  override name = 'AccountUnfundedError'
  override code = 'account-unfunded'
  constructor({ account, balance, chainId, needed }: { account: Address; balance: bigint; chainId: number; needed?: bigint | undefined }) {
    super(`The account ${account} has ${formatEther(balance)} ETH on chain ${chainId}: fund it${needed !== undefined ? ` with at least ${formatEther(needed)} ETH plus gas` : ' to pay for gas'}.`, {
      docsPath,
      metaMessages: ['This is the Ethereum address of your key (`infernet keys` shows it); on the local network `infernet up` prints a funded key to use.'],
    })
  }
}

/** Refuses an address with no code, or code that is not the settlement contract (its withdrawDelay() view fails). */
export async function requireSettlementContract(client: SettlementClient, address: Address): Promise<void> {
  const chainId = client.publicClient.chain?.id ?? 0
  const code = await guardRpc(client, () => client.publicClient.getCode({ address }))
  if (!code || code === '0x') throw new NoSettlementContractError({ address, chainId, reason: 'no code at that address' })
  try {
    await client.publicClient.readContract({ address, abi: settlementAbi, functionName: 'withdrawDelay' })
  } catch (err) {
    const mapped = toSettlementError(err, 'withdrawDelay', client.rpcUrl)
    if (mapped instanceof BaseError && mapped.code === 'chain-unavailable') throw mapped
    throw new NoSettlementContractError({ address, chainId, reason: 'the contract there does not answer as Settlement does' })
  }
}

/** Refuses to send a transaction from an account that cannot pay for it (native deposits: the amount too). */
export async function requireFunds(client: SettlementClient, { account, token, amount }: { account: Address; token: Address; amount?: bigint | undefined }): Promise<void> {
  const chainId = client.publicClient.chain?.id ?? 0
  const balance = await guardRpc(client, () => client.publicClient.getBalance({ address: account }))
  const needed = token === zeroAddress ? amount : undefined
  if (balance === 0n || (needed !== undefined && balance < needed)) throw new AccountUnfundedError({ account, balance, chainId, needed })
}

/** viem's insufficient-funds failure (gas on top of a balance that looked enough) as the same one line. */
export async function withFundsError<T>(client: SettlementClient, account: Address, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof ViemBaseError && err.walk((e) => e instanceof InsufficientFundsError)) {
      const balance = await client.publicClient.getBalance({ address: account }).catch(() => 0n)
      throw new AccountUnfundedError({ account, balance, chainId: client.publicClient.chain?.id ?? 0 })
    }
    throw err
  }
}
