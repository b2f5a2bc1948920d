// Adapts the payments engineer's receipt book (client/payments/receiptBook.ts) to the SDK's ReceiptIssuer seam:
// one CPR per verified result, for the cumulative amount owed to the node's payee, on the node's announced
// settlement contract, naming the last jobs it chains (`jobs`). A node whose contract or chain differs from the
// book's domain gets no receipt.
import { getAddress } from 'viem'
import type { Address } from 'viem'
import { receiptToJson } from '../src/payments/voucher.ts'
import type { SettlementDomain } from '../src/payments/voucher.ts'
import type { ReceiptBook } from './payments/receiptBook.ts'
import type { ReceiptIssuer } from './receipts.ts'

export type ReceiptBookIssuerParameters = {
  book: ReceiptBook
  domain: SettlementDomain
  /** The channel's on-chain epoch, when the caller read it (a withdrawn channel starts a new receipt chain). */
  epoch?: ((payee: Address, token: Address) => number | undefined) | undefined
}

export function receiptBookIssuer({ book, domain, epoch }: ReceiptBookIssuerParameters): ReceiptIssuer {
  return {
    async issue({ job, amount, payment }) {
      if (!payment) return undefined
      if (payment.chainId !== domain.chainId || getAddress(payment.contract) !== getAddress(domain.verifyingContract)) return undefined
      const payee = getAddress(payment.payee)
      const token = getAddress(payment.token)
      const signed = await book.pay({ payee, token, jobId: job, amount, epoch: epoch?.(payee, token) })
      // The jobs it chains let the node accept it even when an earlier receipt of ours never reached it.
      return receiptToJson(signed, domain, { jobs: book.recentJobs(payee, token) }) as unknown as { signature: string }
    },
  }
}
