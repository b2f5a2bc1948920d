// Payment errors. Each says what happened, then what to check; `code` is stable for JSON output.
import { BaseError, redactUrl } from '../errors/base.ts'

const docsPath = 'cpr.md'

export class ReceiptSignatureInvalidError extends BaseError {
  override name = 'ReceiptSignatureInvalidError'
  override code = 'receipt-signature-invalid'
  constructor(reason: string) {
    super(`Receipt signature is invalid: ${reason}.`, {
      docsPath,
      metaMessages: ['Check that the receipt was signed by its payer for this chain id and settlement contract.'],
    })
  }
}

/** The caller's budget does not cover the next receipt. Nothing was signed. */
export class ReceiptBudgetExceededError extends BaseError {
  override name = 'ReceiptBudgetExceededError'
  override code = 'receipt-budget-exceeded'
  readonly owed: bigint
  readonly budget: bigint
  constructor({ payee, owed, budget }: { payee: string; owed: bigint; budget: bigint }) {
    super(`Paying this job would bring the total owed to ${payee} to ${owed}, beyond the budget of ${budget}.`, {
      docsPath,
      metaMessages: ['Raise the budget, or stop sending jobs to this node.', 'No receipt was signed.'],
    })
    this.owed = owed
    this.budget = budget
  }
}

/** The chain RPC is down, slow or refused the call before anything was sent. */
export class ChainUnavailableError extends BaseError {
  override name = 'ChainUnavailableError'
  override code = 'chain-unavailable'
  constructor({ rpcUrl, cause }: { rpcUrl?: string | undefined; cause?: unknown }) {
    super(`The chain RPC${rpcUrl ? ` at ${redactUrl(rpcUrl)}` : ''} did not answer; nothing was changed.`, {
      docsPath,
      cause,
      metaMessages: ['Check INFERNET_CHAIN_RPC and that the node behind it is running and synced, then retry.'],
    })
  }
}

/** Hints per custom error of the settlement contract. */
const revertHints: Record<string, string> = {
  InvalidSignature: 'The receipt was not signed by its payer for this chain and contract (forged, altered or replayed).',
  HighS: 'The signature uses a high s value; re-sign with a standard (low-s) signer.',
  StaleEpoch: 'The payer withdrew since this receipt was signed; receipts of an old epoch are void.',
  NothingToRedeem: 'This receipt pays nothing beyond what was already claimed (or the deposit is exhausted; wait for a top-up).',
  WrongPayee: 'Every receipt in a batch must name the batch payee.',
  WrongToken: 'Every receipt in a batch must name the batch token.',
  WithdrawTooEarly: 'The withdrawal delay has not passed yet; run `infernet withdraw` again later.',
  NoWithdrawRequested: 'Request a withdrawal first (`infernet withdraw`), then complete it after the delay.',
  NothingToWithdraw: 'This channel holds nothing unclaimed.',
  ZeroAmount: 'The amount must be greater than zero.',
  AmountTooLarge: 'A channel holds at most 2^96-1 base units.',
  WrongValue: 'Native deposits send exactly the amount; token deposits send no native coin.',
  InvalidPayee: 'The payee must be a non-zero address other than the payer.',
  TransferFailed: 'The token or native transfer failed (allowance, balance, or a payee that refuses funds).',
  EmptyBatch: 'A batch needs at least one receipt.',
}

/** The settlement contract reverted with one of its custom errors (nothing was changed). */
export class SettlementRevertedError extends BaseError {
  override name = 'SettlementRevertedError'
  override code = 'settlement-reverted'
  readonly errorName: string
  readonly args: readonly unknown[]
  constructor({ errorName, args = [], functionName, cause }: { errorName: string; args?: readonly unknown[] | undefined; functionName: string; cause?: unknown }) {
    const argText = args.length ? `(${args.map((a) => String(a)).join(', ')})` : ''
    super(`Settlement ${functionName} reverted with ${errorName}${argText}; nothing was changed.`, {
      docsPath,
      cause,
      metaMessages: [revertHints[errorName] ?? 'See the contract source in src/contracts/InfernetSettlement.sol.'],
    })
    this.errorName = errorName
    this.args = args
  }
}

export class PaymentsNotConfiguredError extends BaseError {
  override name = 'PaymentsNotConfiguredError'
  override code = 'payments-not-configured'
  constructor(missing: string) {
    super(`Payments are not configured: ${missing} is not set.`, {
      docsPath,
      metaMessages: ['Set INFERNET_CHAIN_RPC, INFERNET_CHAIN_ID and INFERNET_SETTLEMENT_ADDRESS (see `infernet payout --help`).'],
    })
  }
}
