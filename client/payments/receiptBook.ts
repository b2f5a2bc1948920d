// The SDK's signer of receipts: after each job result, the next CPR for the cumulative amount owed to that
// node, never beyond the caller's budget. In memory by default; pass a `store` (src/payments/receiptStore.ts) to
// persist the newest receipt per (payee, token) across restarts and processes (the cumulative must never go back, or
// the node refuses it). It also remembers the last job ids each channel's receipts chained, so a receipt can name the
// jobs it covers and stand in for an earlier one the node never got (nips/cpr.md, "Receipts that cover several jobs").
import { getAddress, zeroAddress } from 'viem'
import type { Address, Hex, LocalAccount } from 'viem'
import { ReceiptBudgetExceededError } from '../../src/payments/errors.ts'
import { initialReceipt, maxCoveredJobs, nextReceipt, signReceipt } from '../../src/payments/voucher.ts'
import type { SettlementDomain, SignTypedDataFn, SignedReceipt } from '../../src/payments/voucher.ts'
import type { ChannelStore } from '../../src/payments/receiptStore.ts'

export type ReceiptBookParameters = {
  /** The payer: a viem LocalAccount, or its address plus a signTypedData callback. */
  account: LocalAccount | { address: Address; signTypedData: SignTypedDataFn }
  domain: SettlementDomain
  /** Most this book may owe in total per (payee, token) in one epoch, in base units. */
  budget: bigint | ((payee: Address, token: Address) => bigint)
  /** Where the newest receipt per channel is kept; read again before each receipt, so processes sharing it continue one sequence. */
  store?: ChannelStore | undefined
}

/** Times a receipt is built again after another process sharing the store signed first. */
const maxStoreRaces = 8

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

export function createReceiptBook({ account, domain, budget, store }: ReceiptBookParameters): ReceiptBook {
  const book = new Map<string, SignedReceipt>()
  const recent = new Map<string, string[]>()
  const locks = new Map<string, Promise<unknown>>()
  const keyOf = (payee: Address, token: Address) => `${getAddress(payee)}:${getAddress(token)}`
  const reload = (payee: Address, token: Address) => {
    const stored = store?.load(getAddress(payee), getAddress(token))
    const k = keyOf(payee, token)
    if (stored) {
      book.set(k, stored.receipt)
      recent.set(k, stored.jobs)
    }
    return book.get(k)
  }
  const latest = (payee: Address, token: Address = zeroAddress) => book.get(keyOf(payee, token)) ?? reload(payee, token)
  const signer: LocalAccount | SignTypedDataFn = 'type' in account && account.type === 'local' ? account : (td) => account.signTypedData(td)

  async function payNow({ payee, token = zeroAddress, jobId, amount, epoch }: PayJobParameters): Promise<SignedReceipt> {
    for (let race = 0; ; race++) {
      const prev = store ? reload(payee, token) : latest(payee, token)
      const base = prev && (epoch === undefined || epoch === prev.epoch) ? prev : initialReceipt({ payer: account.address, payee, token, epoch: epoch ?? 0 })
      if (epoch !== undefined && prev && epoch < prev.epoch) throw new RangeError(`epoch ${epoch} is older than the stored receipt's ${prev.epoch}`)
      const next = nextReceipt(base, { jobId, amount })
      const limit = typeof budget === 'function' ? budget(getAddress(payee), getAddress(token)) : budget
      if (next.cumulative > limit) throw new ReceiptBudgetExceededError({ payee, owed: next.cumulative, budget: limit })
      const signed = await signReceipt(signer, next, domain)
      const k = keyOf(payee, token)
      const chained = base === prev ? (recent.get(k) ?? []) : []
      const jobs = [...chained, String(jobId).replace(/^0x/, '').toLowerCase()].slice(-maxCoveredJobs)
      if (store && !store.save({ receipt: signed, jobs }, prev)) {
        // Another process sharing the store signed this channel's next receipt first: build on it instead.
        if (race < maxStoreRaces) continue
        throw new Error(`the receipt store kept changing under this payer (${maxStoreRaces} tries); no receipt was sent`)
      }
      book.set(k, signed)
      recent.set(k, jobs)
      return signed
    }
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
