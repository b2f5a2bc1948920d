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
import type { ChannelStore, StoredChannel } from '../../src/payments/channelStore.ts'
import { createKeyedSerial } from '../../src/keyedSerial.ts'

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

export type PrepayParameters = {
  payee: Address
  token?: Address | undefined
  /** What to pay ahead of the work (base units, positive). */
  amount: bigint
  epoch?: number | undefined
}

export type AbsorbParameters = { payee: Address; token?: Address | undefined; jobId: Hex | string; amount: bigint; epoch?: number | undefined }

export type ReceiptBook = {
  /** Signs and records the next receipt; throws ReceiptBudgetExceededError (nothing signed) when over budget. */
  pay(parameters: PayJobParameters): Promise<SignedReceipt>
  /**
   * Signs a prepaid receipt (nips/cpr.md "When clients send receipts"): the cumulative rises by `amount`, jobCount and
   * jobsHash stay, and the node counts it against jobs to come. Throws ReceiptBudgetExceededError when over budget.
   */
  prepay(parameters: PrepayParameters): Promise<SignedReceipt>
  /** Records a job paid from what was prepaid: it adds to `served`, and no receipt is signed. */
  absorb(parameters: AbsorbParameters): Promise<void>
  /** The newest receipt for (payee, token), if any. */
  latest(payee: Address, token?: Address | undefined): SignedReceipt | undefined
  /** Total owed to `payee` in the current epoch. */
  owed(payee: Address, token?: Address | undefined): bigint
  /** What the jobs served in `epoch` (default: the newest receipt's) came to, minus its cumulative: below 0 while prepaid work is left. */
  balance(payee: Address, token?: Address | undefined, epoch?: number | undefined): bigint
  /** What the budget still allows on this channel in `epoch` (default: the newest receipt's). */
  headroom(payee: Address, token?: Address | undefined, epoch?: number | undefined): bigint
  /** The last job ids (at most maxCoveredJobs, oldest first) the newest receipt's jobsHash chains, as far as this book saw them. */
  recentJobs(payee: Address, token?: Address | undefined): string[]
}

type Update = (state: StoredChannel) => { next: StoredChannel; sign: boolean }

export function createReceiptBook({ account, domain, budget, store }: ReceiptBookParameters): ReceiptBook {
  const book = new Map<string, StoredChannel>()
  const keyOf = (payee: Address, token: Address) => `${getAddress(payee)}:${getAddress(token)}`
  const reload = (payee: Address, token: Address) => {
    const stored = store?.load(getAddress(payee), getAddress(token))
    if (stored) book.set(keyOf(payee, token), stored)
    return book.get(keyOf(payee, token))
  }
  const state = (payee: Address, token: Address = zeroAddress) => book.get(keyOf(payee, token)) ?? reload(payee, token)
  const inEpoch = (payee: Address, token: Address, epoch: number | undefined) => {
    const s = state(payee, token)
    return s && (epoch === undefined || s.receipt.epoch === epoch) ? s : undefined
  }
  const limitOf = (payee: Address, token: Address) => (typeof budget === 'function' ? budget(getAddress(payee), getAddress(token)) : budget)
  const signer: LocalAccount | SignTypedDataFn = 'type' in account && account.type === 'local' ? account : (td) => account.signTypedData(td)

  /** Applies `update` to the channel (in `epoch`, a newer one starting from nothing) and records it; the store arbitrates between processes. */
  async function change(payee: Address, token: Address, epoch: number | undefined, update: Update): Promise<StoredChannel> {
    for (let race = 0; ; race++) {
      const prev = store ? reload(payee, token) : state(payee, token)
      if (epoch !== undefined && prev && epoch < prev.receipt.epoch) throw new RangeError(`epoch ${epoch} is older than the stored receipt's ${prev.receipt.epoch}`)
      const fresh = !prev || (epoch !== undefined && epoch !== prev.receipt.epoch)
      const base: StoredChannel = fresh ? { receipt: { ...initialReceipt({ payer: account.address, payee, token, epoch: epoch ?? 0 }), signature: '0x' }, jobs: [], served: 0n } : prev
      const { next, sign } = update(base)
      const limit = limitOf(payee, token)
      if (next.receipt.cumulative > limit) throw new ReceiptBudgetExceededError({ payee, owed: next.receipt.cumulative, budget: limit })
      const signed = sign ? { ...next, receipt: await signReceipt(signer, next.receipt, domain) } : next
      if (store && !store.save(signed, prev?.receipt)) {
        // Another process sharing the store changed this channel first: build on what it wrote instead.
        if (race < maxStoreRaces) continue
        throw new Error(`the receipt store kept changing under this payer (${maxStoreRaces} tries); no receipt was sent`)
      }
      book.set(keyOf(payee, token), signed)
      return signed
    }
  }
  // One change at a time per channel, so two results never sign the same cumulative.
  const channelTurn = createKeyedSerial()
  const serially = <T>(payee: Address, token: Address, run: () => Promise<T>): Promise<T> => channelTurn(keyOf(payee, token), run)
  const id = (jobId: Hex | string) => String(jobId).replace(/^0x/, '').toLowerCase()

  return {
    pay: ({ payee, token = zeroAddress, jobId, amount, epoch }) =>
      serially(payee, token, async () => {
        const done = await change(payee, token, epoch, (s) => ({
          next: { receipt: { ...nextReceipt(s.receipt, { jobId, amount }), signature: '0x' }, jobs: [...s.jobs, id(jobId)].slice(-maxCoveredJobs), served: s.served + amount },
          sign: true,
        }))
        return done.receipt
      }),
    prepay: ({ payee, token = zeroAddress, amount, epoch }) =>
      serially(payee, token, async () => {
        if (amount <= 0n) throw new RangeError('a prepaid receipt must add a positive amount')
        const done = await change(payee, token, epoch, (s) => ({ next: { ...s, receipt: { ...s.receipt, cumulative: s.receipt.cumulative + amount, signature: '0x' } }, sign: true }))
        return done.receipt
      }),
    absorb: ({ payee, token = zeroAddress, amount, epoch }) =>
      serially(payee, token, async () => {
        if (!state(payee, token)) throw new RangeError('nothing was prepaid on this channel')
        await change(payee, token, epoch, (s) => ({ next: { ...s, served: s.served + amount }, sign: false }))
      }),
    latest: (payee, token = zeroAddress) => state(payee, token)?.receipt,
    owed: (payee, token = zeroAddress) => state(payee, token)?.receipt.cumulative ?? 0n,
    balance: (payee, token = zeroAddress, epoch) => {
      const s = inEpoch(payee, token, epoch)
      return s ? s.served - s.receipt.cumulative : 0n
    },
    headroom: (payee, token = zeroAddress, epoch) => limitOf(payee, token) - (inEpoch(payee, token, epoch)?.receipt.cumulative ?? 0n),
    recentJobs: (payee, token = zeroAddress) => [...(state(payee, token)?.jobs ?? [])],
  }
}
