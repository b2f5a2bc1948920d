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
   * Before a job to a priced node, with the job's worst case: whether it can be paid, and a prepaid receipt to send
   * first when the node's credit (its announced creditLimit) does not cover the job (nips/cpr.md, "When clients send
   * receipts"). `ok: false` means what is left to pay that node with (a deposit, a budget) is below the worst case: the
   * SDK sends the job elsewhere, or refuses it (DepositExhaustedError), so a job is not served that could not be paid.
   */
  prepare?(request: PrepareRequest): Promise<PrepareResult>
}

export type PrepareRequest = Pick<ReceiptRequest, 'node' | 'payment'> & { worstCase: bigint }

export type PrepareResult = { ok: true; prepaid?: ReceiptVoucherJson | undefined } | { ok: false; available: bigint }
