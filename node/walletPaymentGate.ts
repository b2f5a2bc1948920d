// The PaymentGate of a priced node, backed by the receipt wallet (node/wallet/receiptWallet.ts, nips/cpr.md):
// - authorize: a client is served while what it owes beyond its newest receipt stays within the credit limit;
// - settle: records what the finished job is due (per job id, and in the wallet's ledger);
// - acceptReceipt: decrypts a kind-3833 event (direct frame or relay), checks that its author was served the job it
//   names, and lets the wallet run every check of nips/cpr.md with that job's amount due.
// A Nostr x-only key does not determine an Ethereum address, so the payer address of a client is learned from its
// first accepted receipt; until then its debt is kept in the payment ledger and moved to the wallet's then. The
// ledger (node/paymentLedger.ts) is persistent, so a node killed between a result and its receipt still accepts it.
import type { Address } from 'viem'
import { silentLogger, type Logger } from '../src/log.ts'
import type { NostrEvent } from '../src/protocol/event.ts'
import { isFree } from '../src/protocol/price.ts'
import { decryptReceiptEvent, parseReceiptEvent } from '../src/protocol/receipt.ts'
import { claimedDomainFromJson, receiptFromJson, type SignedReceipt } from '../src/payments/voucher.ts'
import type { Signer } from '../src/signer.ts'
import type { GateDecision, PaymentGate } from './paymentGate.ts'
import { openPaymentLedger, type PaymentLedger } from './paymentLedger.ts'
import type { ReceiptWallet } from './wallet/receiptWallet.ts'

export type WalletPaymentGateParameters = {
  wallet: ReceiptWallet
  /** The node's signer: receipts are encrypted to it. */
  signer: Signer
  /** Token the node is paid in (zero address = native coin). */
  token: Address
  /** Unpaid amount (base units) served to one client before a receipt is required. */
  creditLimit: bigint
  logger?: Logger | undefined
  /** Most unpaid jobs remembered (oldest forgotten first). */
  maxUnpaidJobs?: number | undefined
  /** Where jobs due, payer addresses and pending debt persist (default: in memory, lost on restart). */
  ledger?: PaymentLedger | undefined
}

export function createWalletPaymentGate({ wallet, signer, token, creditLimit, logger = silentLogger, maxUnpaidJobs = 100_000, ledger = openPaymentLedger(':memory:', { maxDueJobs: maxUnpaidJobs }) }: WalletPaymentGateParameters): PaymentGate & {
  /** The payer address learned for a client, if any. */
  payerOf(client: string): Address | undefined
} {
  const refuse = (reason: string): GateDecision => ({ ok: false, reason })
  // Receipts that came too early: relays return stored events newest first, so after a restart receipt n+1 can
  // arrive before receipt n and fail the "increment equals the job's price" rule. They wait here (a few per
  // client) and are tried again after the next receipt of that client is accepted.
  const early = new Map<string, NostrEvent[]>()
  const maxEarlyPerClient = 64
  // A client sends each receipt twice, as a direct frame and as a kind-3833 copy through relays (nips/client.md):
  // the copy (the same event id) shares the decision on the first instead of being checked against the receipt it
  // is a copy of, which refused it `not-increasing` and logged a refusal for every payment. Only accepted receipts
  // are remembered, so one refused (chain unreachable, say) is checked again when it is sent again.
  const copies = new Map<string, Promise<GateDecision>>()
  const maxCopies = 4096
  function acceptOnce(event: NostrEvent): Promise<GateDecision> {
    const first = copies.get(event.id)
    if (first) return first.then((d) => (logger.debug('copy of a receipt already decided', { id: event.id.slice(0, 12), ok: d.ok }), d))
    const decision = accept(event)
    copies.set(event.id, decision)
    if (copies.size > maxCopies) copies.delete(copies.keys().next().value!)
    void decision.then(
      (d) => void (d.ok || copies.delete(event.id)),
      () => void copies.delete(event.id),
    )
    return decision
  }

  async function retryEarly(client: string): Promise<void> {
    let progress = true
    while (progress) {
      progress = false
      const waiting = early.get(client) ?? []
      early.delete(client)
      for (const event of waiting) {
        const decision = await accept(event, false)
        if (decision.ok) progress = true
      }
    }
  }

  async function accept(event: NostrEvent, retry = true): Promise<GateDecision> {
    const parsed = parseReceiptEvent(event)
    if (!parsed.ok) return refuse(parsed.reason)
    if (parsed.data.node !== signer.pubkey) return refuse('invalid: receipt is addressed to another node')
    const job = parsed.data.job
    if (!job) return refuse('invalid: receipt must name the job it pays ("e" tag)')
    const entry = ledger.getDue(job)
    if (!entry) return refuse(`unknown job ${job.slice(0, 12)}…: nothing is due for it`)
    if (entry.client !== parsed.data.client) return refuse('invalid: receipt author is not the job author')
    const voucher = await decryptReceiptEvent(event, signer)
    if (!voucher.ok) return refuse(voucher.reason)
    let receipt: SignedReceipt
    try {
      receipt = receiptFromJson(voucher.data)
    } catch (err) {
      return refuse(`malformed: ${(err as Error).message}`)
    }
    const known = ledger.payerOf(entry.client)
    if (known && known !== receipt.payer) return refuse(`invalid: this client pays from ${known}, the receipt names ${receipt.payer}`)
    const result = await wallet.accept(receipt, { amountDue: entry.amount, jobId: job, claimedDomain: claimedDomainFromJson(voucher.data) })
    if (!result.ok) {
      if (result.code === 'wrong-increment' && receipt.cumulative > 0n) {
        const waiting = early.get(entry.client) ?? []
        if (waiting.length < maxEarlyPerClient && !waiting.some((e) => e.id === event.id)) early.set(entry.client, [...waiting, event])
      }
      logger.info('receipt refused', { job: job.slice(0, 12), code: result.code })
      return refuse(`${result.code}: ${result.reason}`)
    }
    ledger.deleteDue(job)
    if (!known) {
      ledger.setPayer(entry.client, receipt.payer)
      const owed = ledger.takePending(entry.client)
      if (owed > 0n) wallet.recordOwed(receipt.payer, token, owed)
    }
    logger.info('receipt accepted', { job: job.slice(0, 12), cumulative: receipt.cumulative.toString() })
    if (retry && early.has(entry.client)) await retryEarly(entry.client)
    return { ok: true }
  }

  return {
    payerOf: (client) => ledger.payerOf(client),
    async authorize(client, _job, quote) {
      if (isFree(quote.price)) return { ok: true }
      const payer = ledger.payerOf(client)
      const unpaid = payer ? wallet.unpaid(payer, token) : ledger.pending(client)
      if (unpaid > creditLimit) return refuse(`unpaid ${unpaid} is over the credit limit ${creditLimit}: send a receipt for the jobs already served`)
      return { ok: true }
    },
    async settle(client, job, amount) {
      if (amount === 0n) return
      ledger.setDue(job, client, amount)
      const payer = ledger.payerOf(client)
      if (payer) wallet.recordOwed(payer, token, amount)
      else ledger.addPending(client, amount)
    },
    acceptReceipt: (event: NostrEvent) => acceptOnce(event),
  }
}
