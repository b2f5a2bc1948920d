// viem-style actions for the settlement contract: one per function, each `(client, parameters)`. Writes are
// simulated first, so a contract custom error surfaces as SettlementRevertedError before anything is sent, and
// an unreachable RPC as ChainUnavailableError; in both cases nothing changed on chain.
import { BaseError as ViemBaseError, ContractFunctionRevertedError, HttpRequestError, TimeoutError, erc20Abi, getAddress, zeroAddress } from 'viem'
import type { Address, Hash } from 'viem'
import { BaseError } from '../errors/base.ts'
import { settlementAbi, settlementBytecode } from '../contracts/settlementAbi.ts'
import type { SettlementClient } from './clients.ts'
import { ChainUnavailableError, SettlementRevertedError } from './errors.ts'
import type { SignedReceipt } from './voucher.ts'

export type WriteResult = { hash: Hash; gasUsed: bigint; blockNumber: bigint }

export type Channel = {
  deposit: bigint
  claimed: bigint
  epoch: number
  /** Unix seconds; 0 = no pending withdrawal. */
  withdrawAt: number
  /** deposit - claimed. */
  available: bigint
}

export type SettlementErrorType = SettlementRevertedError | ChainUnavailableError

/** Maps viem/RPC failures onto our typed errors; anything else is rethrown as is. */
export function toSettlementError(err: unknown, functionName: string, rpcUrl?: string | undefined): unknown {
  if (err instanceof BaseError) return err
  if (err instanceof ViemBaseError) {
    const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError)
    if (reverted instanceof ContractFunctionRevertedError && reverted.data?.errorName) {
      return new SettlementRevertedError({ errorName: reverted.data.errorName, args: reverted.data.args ?? [], functionName, cause: err })
    }
    const transport = err.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError)
    if (transport) return new ChainUnavailableError({ rpcUrl, cause: err })
  }
  if (err instanceof Error && /fetch failed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|socket hang up/i.test(String(err.message) + String((err.cause as Error | undefined)?.message ?? ''))) {
    return new ChainUnavailableError({ rpcUrl, cause: err })
  }
  return err
}

async function guard<T>(client: SettlementClient, functionName: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw toSettlementError(err, functionName, client.rpcUrl)
  }
}

function wallet(client: SettlementClient) {
  if (!client.walletClient) throw new BaseError('This action sends a transaction and needs a wallet client with an account.')
  return client.walletClient
}

async function confirm(client: SettlementClient, functionName: string, hash: Hash): Promise<WriteResult> {
  const receipt = await client.publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success') throw new BaseError(`Transaction ${hash} (${functionName}) reverted on chain.`, { metaMessages: ['The chain state changed between simulation and inclusion; retry.'] })
  return { hash, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber }
}

function receiptArg(r: SignedReceipt) {
  return { payer: r.payer, payee: r.payee, token: r.token, epoch: r.epoch, cumulative: r.cumulative, jobCount: r.jobCount, jobsHash: r.jobsHash }
}

// ----- deploySettlement -----

export type DeploySettlementParameters = { withdrawDelay: bigint | number }
export type DeploySettlementReturnType = WriteResult & { address: Address }

export async function deploySettlement(client: SettlementClient, { withdrawDelay }: DeploySettlementParameters): Promise<DeploySettlementReturnType> {
  return guard(client, 'deploy', async () => {
    const w = wallet(client)
    const hash = await w.deployContract({ abi: settlementAbi, bytecode: settlementBytecode, args: [BigInt(withdrawDelay)] })
    const receipt = await client.publicClient.waitForTransactionReceipt({ hash })
    if (!receipt.contractAddress || receipt.status !== 'success') throw new BaseError(`Deploying the settlement contract failed (tx ${hash}).`)
    return { hash, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber, address: receipt.contractAddress }
  })
}

// ----- deposit -----

export type DepositParameters = { address: Address; payee: Address; token?: Address | undefined; amount: bigint }
export type DepositReturnType = WriteResult & { approveHash?: Hash | undefined }

/** Deposits into the (sender, payee, token) channel. For an ERC-20, approves the contract first when needed. */
export async function deposit(client: SettlementClient, { address, payee, token = zeroAddress, amount }: DepositParameters): Promise<DepositReturnType> {
  return guard(client, 'deposit', async () => {
    const w = wallet(client)
    const account = w.account
    let approveHash: Hash | undefined
    if (token !== zeroAddress) {
      const allowance = await client.publicClient.readContract({ address: token, abi: erc20Abi, functionName: 'allowance', args: [account.address, address] })
      if (allowance < amount) {
        const { request } = await client.publicClient.simulateContract({ account, address: token, abi: erc20Abi, functionName: 'approve', args: [address, amount] })
        approveHash = await w.writeContract(request)
        await confirm(client, 'approve', approveHash)
      }
    }
    const { request } = await client.publicClient.simulateContract({
      account,
      address,
      abi: settlementAbi,
      functionName: 'deposit',
      args: [getAddress(payee), token, amount],
      value: token === zeroAddress ? amount : 0n,
    })
    const result = await confirm(client, 'deposit', await w.writeContract(request))
    return { ...result, approveHash }
  })
}

// ----- redeem -----

export type RedeemParameters = { address: Address; receipt: SignedReceipt }
export type RedeemReturnType = WriteResult & { amount: bigint }

export async function redeem(client: SettlementClient, { address, receipt }: RedeemParameters): Promise<RedeemReturnType> {
  return guard(client, 'redeem', async () => {
    const w = wallet(client)
    const { request, result } = await client.publicClient.simulateContract({
      account: w.account,
      address,
      abi: settlementAbi,
      functionName: 'redeem',
      args: [receiptArg(receipt), receipt.signature],
    })
    return { ...(await confirm(client, 'redeem', await w.writeContract(request))), amount: result }
  })
}

// ----- redeemBatch -----

export type RedeemBatchParameters = { address: Address; payee: Address; token: Address; receipts: readonly SignedReceipt[] }
export type RedeemBatchReturnType = WriteResult & { total: bigint }

export async function redeemBatch(client: SettlementClient, { address, payee, token, receipts }: RedeemBatchParameters): Promise<RedeemBatchReturnType> {
  return guard(client, 'redeemBatch', async () => {
    const w = wallet(client)
    const { request, result } = await client.publicClient.simulateContract({
      account: w.account,
      address,
      abi: settlementAbi,
      functionName: 'redeemBatch',
      args: [payee, token, receipts.map((r) => ({ receipt: receiptArg(r), signature: r.signature }))],
    })
    return { ...(await confirm(client, 'redeemBatch', await w.writeContract(request))), total: result }
  })
}

/** Gas a redeemBatch of `receipts` would use now (eth_estimateGas); throws the contract error if it would revert. */
export async function estimateRedeemBatchGas(client: SettlementClient, { address, payee, token, receipts, account }: RedeemBatchParameters & { account: Address }): Promise<bigint> {
  return guard(client, 'redeemBatch', () =>
    client.publicClient.estimateContractGas({
      account,
      address,
      abi: settlementAbi,
      functionName: 'redeemBatch',
      args: [payee, token, receipts.map((r) => ({ receipt: receiptArg(r), signature: r.signature }))],
    }),
  )
}

// ----- requestWithdraw / withdraw -----

export type ChannelParameters = { address: Address; payee: Address; token?: Address | undefined }
export type RequestWithdrawReturnType = WriteResult & { availableAt: number; amount: bigint }

export async function requestWithdraw(client: SettlementClient, { address, payee, token = zeroAddress }: ChannelParameters): Promise<RequestWithdrawReturnType> {
  return guard(client, 'requestWithdraw', async () => {
    const w = wallet(client)
    const { request } = await client.publicClient.simulateContract({ account: w.account, address, abi: settlementAbi, functionName: 'requestWithdraw', args: [payee, token] })
    const result = await confirm(client, 'requestWithdraw', await w.writeContract(request))
    const channel = await getChannel(client, { address, payer: w.account.address, payee, token })
    return { ...result, availableAt: channel.withdrawAt, amount: channel.available }
  })
}

export type WithdrawReturnType = WriteResult & { amount: bigint }

export async function withdraw(client: SettlementClient, { address, payee, token = zeroAddress }: ChannelParameters): Promise<WithdrawReturnType> {
  return guard(client, 'withdraw', async () => {
    const w = wallet(client)
    const before = await getChannel(client, { address, payer: w.account.address, payee, token })
    const { request } = await client.publicClient.simulateContract({ account: w.account, address, abi: settlementAbi, functionName: 'withdraw', args: [payee, token] })
    const result = await confirm(client, 'withdraw', await w.writeContract(request))
    return { ...result, amount: before.available }
  })
}

// ----- getChannel -----

export type GetChannelParameters = { address: Address; payer: Address; payee: Address; token?: Address | undefined; blockNumber?: bigint | undefined }

export async function getChannel(client: SettlementClient, { address, payer, payee, token = zeroAddress, blockNumber }: GetChannelParameters): Promise<Channel> {
  return guard(client, 'getChannel', async () => {
    const [deposit, claimed, epoch, withdrawAt] = await client.publicClient.readContract({
      address,
      abi: settlementAbi,
      functionName: 'getChannel',
      args: [payer, payee, token],
      ...(blockNumber === undefined ? {} : { blockNumber }),
    })
    return { deposit, claimed, epoch, withdrawAt, available: deposit - claimed }
  })
}

// ----- channel discovery -----

export type ListChannelsParameters = { address: Address; payer?: Address | undefined; payee?: Address | undefined; fromBlock?: bigint | undefined }

/** (payer, payee, token) triples that ever received a deposit, from the contract's Deposited logs. */
export async function listChannels(client: SettlementClient, { address, payer, payee, fromBlock = 0n }: ListChannelsParameters): Promise<{ payer: Address; payee: Address; token: Address }[]> {
  return guard(client, 'getLogs', async () => {
    const logs = await client.publicClient.getContractEvents({
      address,
      abi: settlementAbi,
      eventName: 'Deposited',
      args: { ...(payer ? { payer } : {}), ...(payee ? { payee } : {}) },
      fromBlock,
      toBlock: 'latest',
    })
    const seen = new Map<string, { payer: Address; payee: Address; token: Address }>()
    for (const log of logs) {
      const a = log.args
      if (!a.payer || !a.payee || !a.token) continue
      seen.set(`${a.payer}:${a.payee}:${a.token}`, { payer: a.payer, payee: a.payee, token: a.token })
    }
    return [...seen.values()]
  })
}

