// Adapts the receipt book (client/payments/receiptBook.ts) to the SDK's ReceiptIssuer seam. Postpaid by default: one
// CPR per verified result, for the cumulative amount owed to the node's payee, on the node's announced settlement
// contract, naming the last jobs it chains (`jobs`). A node whose announced credit cannot hold a job's worst case (a
// creditLimit of 0 serves only prepaid work) is paid ahead instead: a prepaid receipt before the job for what it may
// cost beyond what is paid ahead already, and no receipt after it. A node whose contract or chain differs from the
// book's domain gets no receipt.
import { getAddress } from 'viem'
import type { Address } from 'viem'
import { receiptToJson } from '../src/payments/voucher.ts'
import type { SettlementDomain } from '../src/payments/voucher.ts'
import type { ReceiptBook } from './payments/receiptBook.ts'
import type { ReceiptVoucherJson } from '../src/protocol/receipt.ts'
import type { ReceiptIssuer, ReceiptRequest } from './receipts.ts'

export type ReceiptBookIssuerParameters = {
  book: ReceiptBook
  domain: SettlementDomain
  /** The channel's on-chain epoch, when the caller read it (a withdrawn channel starts a new receipt chain). */
  epoch?: ((payee: Address, token: Address) => number | undefined) | undefined
}

/** The channel a node's payment terms name, when they are on `domain` (else this payer cannot pay that node). */
export function channelTerms(payment: ReceiptRequest['payment'], domain: SettlementDomain): { payee: Address; token: Address; creditLimit: bigint } | undefined {
  if (!payment || payment.chainId !== domain.chainId || getAddress(payment.contract) !== getAddress(domain.verifyingContract)) return undefined
  return { payee: getAddress(payment.payee), token: getAddress(payment.token), creditLimit: BigInt(payment.creditLimit) }
}

export function receiptBookIssuer({ book, domain, epoch }: ReceiptBookIssuerParameters): ReceiptIssuer {
  const terms = (payment: ReceiptRequest['payment']) => {
    const t = channelTerms(payment, domain)
    return t && { ...t, epoch: epoch?.(t.payee, t.token) }
  }
  return {
    async prepare({ payment, worstCase }) {
      const t = terms(payment)
      if (!t) return { ok: true }
      const balance = book.balance(t.payee, t.token, t.epoch)
      const headroom = book.headroom(t.payee, t.token, t.epoch)
      // Postpaid while nothing is paid ahead and the node's credit holds the job: one receipt after the result.
      if (balance === 0n && worstCase <= t.creditLimit) return worstCase <= headroom ? { ok: true } : { ok: false, available: headroom }
      // Otherwise pay ahead what the job may cost beyond what is paid ahead already; the rest carries to later jobs.
      const topUp = balance + worstCase
      if (topUp <= 0n) return { ok: true }
      if (topUp > headroom) return { ok: false, available: headroom }
      const signed = await book.prepay({ payee: t.payee, token: t.token, amount: topUp, epoch: t.epoch })
      return { ok: true, prepaid: receiptToJson(signed, domain) as unknown as ReceiptVoucherJson }
    },
    async issue({ job, amount, payment }) {
      const t = terms(payment)
      if (!t) return undefined
      if (book.balance(t.payee, t.token, t.epoch) < 0n) {
        // Paid ahead: the node already counts this job against the prepaid receipt, so no receipt follows it.
        await book.absorb({ payee: t.payee, token: t.token, jobId: job, amount, epoch: t.epoch })
        return undefined
      }
      const signed = await book.pay({ payee: t.payee, token: t.token, jobId: job, amount, epoch: t.epoch })
      // The jobs it chains let the node accept it even when an earlier receipt of ours never reached it.
      return receiptToJson(signed, domain, { jobs: book.recentJobs(t.payee, t.token) }) as unknown as ReceiptVoucherJson
    },
  }
}
