// The credit rule of a priced node (nips/cpr.md, "Credit"): whether one more job may be served to a client on what it
// owes beyond its receipts, with every job in flight counted at its worst case. Pure.
//
// - A client whose payer address is known (from an accepted receipt) may owe up to min(creditLimit, the unspent
//   deposit of its channel: deposit - newest receipt), so only a deposit that could pay it earns credit.
// - A new client (no receipt accepted yet, so no deposit can be read for it) may owe up to min(creditLimit,
//   newClientCredit), and all new clients together at most newClientCredit: fresh keys cost nothing to make.
// - Receipts ahead of the work (prepaid) make the balance negative: that much more may be served.
// So a node never has more than newClientCredit + the sum over funded payers of min(creditLimit, unspent deposit)
// served and unpaid, in flight included; with creditLimit 0 it serves only jobs that prepaid receipts cover.
import type { GateDecision } from './paymentGate.ts'

export type CreditTerms = {
  /** Most one payer may owe beyond its receipts (INFERNET_CREDIT_LIMIT). */
  creditLimit: bigint
  /** Most all new clients may owe together (INFERNET_NEW_CLIENT_CREDIT). */
  newClientCredit: bigint
}

export type CreditPosition =
  | {
      kind: 'payer'
      /** Owed minus the newest receipt (negative: prepaid). */
      balance: bigint
      /** Worst case of this payer's jobs in flight. */
      inflight: bigint
      /** deposit - newest receipt's cumulative on chain; undefined when it could never be read. */
      unspentDeposit: bigint | undefined
    }
  | {
      kind: 'new'
      /** What this client owes (jobs served before any receipt of it was accepted). */
      owed: bigint
      inflight: bigint
      /** What all new clients owe together, in flight included (this one too). */
      poolUsed: bigint
    }

const min = (a: bigint, b: bigint) => (a < b ? a : b)
const positive = (a: bigint) => (a > 0n ? a : 0n)
const prepaidHint = 'or a prepaid receipt (a kind 3833 receipt without an "e" tag, nips/cpr.md)'

export function decideCredit(position: CreditPosition, worstCase: bigint, { creditLimit, newClientCredit }: CreditTerms): GateDecision {
  if (worstCase <= 0n) return { ok: true }
  if (position.kind === 'payer') {
    const { balance, inflight, unspentDeposit } = position
    const limit = min(creditLimit, positive(unspentDeposit ?? 0n))
    if (balance + inflight + worstCase <= limit) return { ok: true }
    const why =
      unspentDeposit === undefined
        ? 'your deposit could not be read on chain, so nothing is served on credit'
        : limit < creditLimit
          ? `your channel's unspent deposit is ${positive(unspentDeposit)} (deposit more with \`infernet deposit\`)`
          : `the credit limit is ${creditLimit}`
    return {
      ok: false,
      reason: `this job may cost up to ${worstCase}; you owe ${positive(balance)}${balance < 0n ? ` (prepaid ${-balance})` : ''} with ${inflight} in flight, and ${why}: send a receipt for the jobs already served, ${prepaidHint}`,
    }
  }
  const { owed, inflight, poolUsed } = position
  const own = min(creditLimit, newClientCredit)
  if (own === 0n) return { ok: false, reason: `this node serves nothing on credit to a client it has no receipt from (credit limit ${own}): send a prepaid receipt of at least ${worstCase} first, ${prepaidHint.replace(/^or /, '')}` }
  if (owed + inflight + worstCase > own) {
    return { ok: false, reason: `this job may cost up to ${worstCase}; you owe ${owed} with ${inflight} in flight, and a client this node has no receipt from may owe at most ${own}: send a receipt for the jobs already served, ${prepaidHint}` }
  }
  if (poolUsed + worstCase > newClientCredit) {
    return { ok: false, reason: `this job may cost up to ${worstCase}, and the credit this node extends to new clients (${newClientCredit} in all) is in use: retry later, ${prepaidHint}` }
  }
  return { ok: true }
}
