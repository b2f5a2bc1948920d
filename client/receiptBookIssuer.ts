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

export function receiptBookIssuer({ book, domain }: { book: ReceiptBook; domain: SettlementDomain }): ReceiptIssuer {
  return {
    async issue({ job, amount, payment }) {
      if (!payment) return undefined
      if (payment.chainId !== domain.chainId || getAddress(payment.contract) !== getAddress(domain.verifyingContract)) return undefined
      const signed = await book.pay({ payee: payment.payee as Address, token: payment.token as Address, jobId: job, amount })
      // The jobs it chains let the node accept it even when an earlier receipt of ours never reached it.
      return receiptToJson(signed, domain, { jobs: book.recentJobs(payment.payee as Address, payment.token as Address) }) as unknown as { signature: string }
    },
  }
}
