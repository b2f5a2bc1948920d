// The seam between the SDK and whatever signs payment vouchers (CPR, EIP-712; src/payments). The SDK decides
// HOW MUCH is owed (cumulative per node, never beyond the caller's budget); the issuer only turns that figure
// into a signed voucher for the node's payment terms. Without an issuer, the SDK still enforces the budget
// and accounts what it owes, but sends no receipts (fine for free nodes; paid nodes may then refuse work
// beyond their credit limit).
import type { CapabilityContent } from '../src/protocol/capability.ts'
import type { ReceiptVoucherJson } from '../src/protocol/receipt.ts'

export type ReceiptRequest = {
  node: string
  job: string
  /** This job's amount (already capped by the budget). */
  amount: bigint
  /** Everything this client owes the node in this session, this job included. */
  cumulative: bigint
  /** The node's payment terms from its capability; undefined when it announced none. */
  payment: CapabilityContent['payment'] | undefined
}

export type ReceiptIssuer = {
  /** Returns the signed voucher to send to the node, or undefined when none can be made. */
  issue(request: ReceiptRequest): Promise<ReceiptVoucherJson | undefined>
  /**
   * Most this issuer can still pay the node (what its deposit to that node has left, say), in base units; undefined
   * when it sets no limit there or cannot pay that node at all. The SDK sends no job to a priced node whose worst
   * case is above it, so a job is not served that could never be paid.
   */
  available?(request: Pick<ReceiptRequest, 'node' | 'payment'>): Promise<bigint | undefined>
}
