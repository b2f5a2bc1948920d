// The seam between the job executor and payments. The daemon calls `authorize` before it serves a job (credit),
// `settle` once the result is signed, `release` when an authorized job ends without a result, and `acceptReceipt`
// for every incoming receipt (direct frame or kind 3833). A node whose price is 0 uses the free gate: it serves
// without receipts. The receipt wallet (node/wallet/receiptWallet.ts) plugs in here through an implementation of
// this type (node/walletPaymentGate.ts).
import type { NostrEvent } from '../src/protocol/event.ts'
import type { Price } from '../src/protocol/schema.ts'

export type PaymentQuote = {
  model: string
  price: Price
  /**
   * The most this job can cost (worstCaseAmount in src/protocol/worstCase.ts: its prompt and max_tokens at the price).
   * An authorized job counts at this amount until it is settled or released.
   */
  worstCase: bigint
}
export type GateDecision = { ok: true } | { ok: false; reason: string }

export interface PaymentGate {
  authorize(client: string, job: string, quote: PaymentQuote): Promise<GateDecision>
  /** The job's result is signed: it is due `amount` (its worst case no longer counts). */
  settle(client: string, job: string, amount: bigint): Promise<void>
  /** An authorized job ended without a result (failed, cancelled, refused after all): its worst case no longer counts. */
  release(client: string, job: string): void
  acceptReceipt(event: NostrEvent): Promise<GateDecision>
}

/** Serves everyone; receipts are acknowledged as not needed. */
export function createFreePaymentGate(): PaymentGate {
  return {
    authorize: async () => ({ ok: true }),
    settle: async () => {},
    release: () => {},
    acceptReceipt: async () => ({ ok: false, reason: 'this node serves for free and keeps no receipts' }),
  }
}
