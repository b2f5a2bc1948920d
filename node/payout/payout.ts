// Payout: redeem the newest receipt of every payer, batched per token (one transaction however many jobs
// and, with redeemBatch, however many payers). Watching for withdrawal requests is watchWithdrawals.ts.
import type { Address, Hash } from 'viem'
import { silentLogger } from '../../src/log.ts'
import type { Logger } from '../../src/log.ts'
import type { SettlementClient } from '../../src/payments/clients.ts'
import { estimateRedeemBatchGas, getChannel, redeem, redeemBatch } from '../../src/payments/contract.ts'
import type { SignedReceipt } from '../../src/payments/voucher.ts'
import type { ReceiptWallet } from '../wallet/receiptWallet.ts'

export type PayoutStatus = 'ready' | 'below-min' | 'nothing' | 'stale-epoch' | 'redeemed' | 'failed'

export type PayoutRow = {
  payer: Address
  token: Address
  epoch: number
  cumulative: bigint
  deposit: bigint
  claimed: bigint
  /** min(cumulative, deposit) - claimed. */
  claimable: bigint
  status: PayoutStatus
  /** Share of the batch's estimated (or used) gas. */
  gas?: bigint | undefined
  hash?: Hash | undefined
  error?: string | undefined
}

export type PayoutParameters = {
  client: SettlementClient
  address: Address
  payee: Address
  wallet: Pick<ReceiptWallet, 'list'>
  /** Skip payers whose claimable amount is below this. */
  min?: bigint | undefined
  dryRun?: boolean | undefined
  /** Most receipts per redeemBatch transaction. */
  batchSize?: number | undefined
  logger?: Logger | undefined
}

export type PayoutReturnType = { rows: PayoutRow[]; totals: { token: Address; amount: bigint; gas: bigint; transactions: Hash[] }[] }

/** Reads each stored receipt's channel and says what a redeem would pay now. */
export async function planPayout({ client, address, payee, wallet, min = 1n }: Pick<PayoutParameters, 'client' | 'address' | 'payee' | 'wallet' | 'min'>): Promise<(PayoutRow & { receipt: SignedReceipt })[]> {
  const rows: (PayoutRow & { receipt: SignedReceipt })[] = []
  for (const receipt of wallet.list()) {
    const c = await getChannel(client, { address, payer: receipt.payer, payee, token: receipt.token })
    const payable = receipt.cumulative < c.deposit ? receipt.cumulative : c.deposit
    const claimable = payable > c.claimed ? payable - c.claimed : 0n
    const status: PayoutStatus = receipt.epoch !== c.epoch ? 'stale-epoch' : claimable === 0n ? 'nothing' : claimable < (min < 1n ? 1n : min) ? 'below-min' : 'ready'
    rows.push({ payer: receipt.payer, token: receipt.token, epoch: receipt.epoch, cumulative: receipt.cumulative, deposit: c.deposit, claimed: c.claimed, claimable: status === 'stale-epoch' ? 0n : claimable, status, receipt })
  }
  return rows
}

export async function payout(parameters: PayoutParameters): Promise<PayoutReturnType> {
  const { client, address, payee, dryRun = false, batchSize = 100, logger = silentLogger } = parameters
  const plan = await planPayout(parameters)
  const sender = client.walletClient?.account.address ?? payee
  const totals: PayoutReturnType['totals'] = []
  const byToken = new Map<Address, typeof plan>()
  for (const row of plan) if (row.status === 'ready') byToken.set(row.token, [...(byToken.get(row.token) ?? []), row])
  for (const [token, ready] of byToken) {
    const total = { token, amount: 0n, gas: 0n, transactions: [] as Hash[] }
    for (let i = 0; i < ready.length; i += batchSize) {
      const batch = ready.slice(i, i + batchSize)
      const receipts = batch.map((r) => r.receipt)
      try {
        const gas = await estimateRedeemBatchGas(client, { address, payee, token, receipts, account: sender })
        for (const r of batch) r.gas = gas / BigInt(batch.length)
        if (dryRun) {
          total.amount += batch.reduce((s, r) => s + r.claimable, 0n)
          total.gas += gas
          continue
        }
        // One payer: the plain redeem costs less than a batch of one (no array decoding or loop).
        const result =
          batch.length === 1
            ? await redeem(client, { address, receipt: receipts[0]! }).then((r) => ({ hash: r.hash, gasUsed: r.gasUsed, total: r.amount }))
            : await redeemBatch(client, { address, payee, token, receipts })
        logger.info('redeemed', { token, payers: batch.length, amount: result.total.toString(), tx: result.hash })
        for (const r of batch) Object.assign(r, { status: 'redeemed', hash: result.hash, gas: result.gasUsed / BigInt(batch.length) })
        total.amount += result.total
        total.gas += result.gasUsed
        total.transactions.push(result.hash)
      } catch (err) {
        const message = (err as Error & { shortMessage?: string }).shortMessage ?? (err as Error).message
        logger.warn('batch failed', { token, payers: batch.length, error: message })
        for (const r of batch) Object.assign(r, { status: 'failed', error: message })
      }
    }
    totals.push(total)
  }
  return { rows: plan.map(({ receipt: _receipt, ...row }) => row), totals }
}
