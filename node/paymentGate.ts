// The seam between the job executor and payments. The daemon calls `authorize` before it serves a job (credit
// limit), `settle` once the result is signed, and `acceptReceipt` for every incoming receipt (direct frame or
// kind 3833). A node whose price is 0 uses the free gate: it serves without receipts.
// The receipt wallet (node/wallet/receiptWallet.ts) plugs in here through an implementation of this type.
import type { NostrEvent } from '../src/protocol/event.ts'
import type { Price } from '../src/protocol/schema.ts'

export type PaymentQuote = { model: string; price: Price }
export type GateDecision = { ok: true } | { ok: false; reason: string }

export interface PaymentGate {
  authorize(client: string, job: string, quote: PaymentQuote): Promise<GateDecision>
  settle(client: string, job: string, amount: bigint): Promise<void>
  acceptReceipt(event: NostrEvent): Promise<GateDecision>
}

/** Serves everyone; receipts are acknowledged as not needed. */
export function createFreePaymentGate(): PaymentGate {
  return {
    authorize: async () => ({ ok: true }),
    settle: async () => {},
    acceptReceipt: async () => ({ ok: false, reason: 'this node serves for free and keeps no receipts' }),
  }
}
