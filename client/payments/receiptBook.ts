// The SDK's signer of receipts: after each job result, the next CPR for the cumulative amount owed to that
// node, never beyond the caller's budget. In memory by default; pass `load`/`save` to persist the newest
// receipt per (payee, token) across restarts (the cumulative must never go back, or the node refuses it). It also
// remembers the last job ids each channel's receipts chained (in memory), so a receipt can name the jobs it covers and
// stand in for an earlier one the node never got (nips/cpr.md, "Receipts that cover several jobs").
import { getAddress, zeroAddress } from 'viem'
import type { Address, Hex, LocalAccount } from 'viem'
import { ReceiptBudgetExceededError } from '../../src/payments/errors.ts'
import { initialReceipt, maxCoveredJobs, nextReceipt, signReceipt } from '../../src/payments/voucher.ts'
import type { SettlementDomain, SignTypedDataFn, SignedReceipt } from '../../src/payments/voucher.ts'

export type ReceiptBookParameters = {
  /** The payer: a viem LocalAccount, or its address plus a signTypedData callback. */
  account: LocalAccount | { address: Address; signTypedData: SignTypedDataFn }
  domain: SettlementDomain
  /** Most this book may owe in total per (payee, token) in one epoch, in base units. */
  budget: bigint | ((payee: Address, token: Address) => bigint)
  load?: ((payee: Address, token: Address) => SignedReceipt | undefined) | undefined
  save?: ((receipt: SignedReceipt) => void) | undefined
}

export type PayJobParameters = {
  payee: Address
  token?: Address | undefined
  /** The job request event id (hex). */
  jobId: Hex | string
  /** Amount due for the job (amountDue in src/protocol/price.ts). */
  amount: bigint
  /** The channel's on-chain epoch; a higher one than the stored receipt's starts a new chain from 0. */
  epoch?: number | undefined
}

export type ReceiptBook = {
  /** Signs and records the next receipt; throws ReceiptBudgetExceededError (nothing signed) when over budget. */
  pay(parameters: PayJobParameters): Promise<SignedReceipt>
  /** The newest receipt for (payee, token), if any. */
  latest(payee: Address, token?: Address | undefined): SignedReceipt | undefined
  /** Total owed to `payee` in the current epoch. */
  owed(payee: Address, token?: Address | undefined): bigint
  /** The last job ids (at most maxCoveredJobs, oldest first) the newest receipt's jobsHash chains, as far as this book saw them. */
  recentJobs(payee: Address, token?: Address | undefined): string[]
}

export function createReceiptBook({ account, domain, budget, load, save }: ReceiptBookParameters): ReceiptBook {
  const book = new Map<string, SignedReceipt>()
  const recent = new Map<string, string[]>()
  const locks = new Map<string, Promise<unknown>>()
  const keyOf = (payee: Address, token: Address) => `${getAddress(payee)}:${getAddress(token)}`
  const latest = (payee: Address, token: Address = zeroAddress) => {
    const k = keyOf(payee, token)
    if (!book.has(k) && load) {
      const stored = load(getAddress(payee), getAddress(token))
      if (stored) book.set(k, stored)
    }
    return book.get(k)
  }
  const signer: LocalAccount | SignTypedDataFn = 'type' in account && account.type === 'local' ? account : (td) => account.signTypedData(td)

  async function payNow({ payee, token = zeroAddress, jobId, amount, epoch }: PayJobParameters): Promise<SignedReceipt> {
    const prev = latest(payee, token)
    const base = prev && (epoch === undefined || epoch === prev.epoch) ? prev : initialReceipt({ payer: account.address, payee, token, epoch: epoch ?? 0 })
    if (epoch !== undefined && prev && epoch < prev.epoch) throw new RangeError(`epoch ${epoch} is older than the stored receipt's ${prev.epoch}`)
    const next = nextReceipt(base, { jobId, amount })
    const limit = typeof budget === 'function' ? budget(getAddress(payee), getAddress(token)) : budget
    if (next.cumulative > limit) throw new ReceiptBudgetExceededError({ payee, owed: next.cumulative, budget: limit })
    const signed = await signReceipt(signer, next, domain)
    save?.(signed)
    const k = keyOf(payee, token)
    book.set(k, signed)
    const chained = base === prev ? (recent.get(k) ?? []) : []
    recent.set(k, [...chained, String(jobId).replace(/^0x/, '').toLowerCase()].slice(-maxCoveredJobs))
    return signed
  }

  return {
    pay(parameters) {
      // One receipt at a time per channel, so two results never sign the same cumulative.
      const k = keyOf(parameters.payee, parameters.token ?? zeroAddress)
      const run = (locks.get(k) ?? Promise.resolve()).then(() => payNow(parameters))
      locks.set(k, run.catch(() => undefined))
      return run
    },
    latest,
    owed: (payee, token = zeroAddress) => latest(payee, token)?.cumulative ?? 0n,
    recentJobs: (payee, token = zeroAddress) => [...(recent.get(keyOf(payee, token)) ?? [])],
  }
}
