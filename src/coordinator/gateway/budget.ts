// What one gateway request may cost at most, so an API key's budget can hold it before the job is sent
// (apiKeys.ts `reserve`). Pure. The worst case is the network's one (src/protocol/worstCase.ts, the amount a node
// counts against a payer's credit), and the SDK pays no more than it for the request whatever the node claims
// (ChatParameters.budget).
import { amountDue } from '../../protocol/price.ts'
import type { Price } from '../../protocol/schema.ts'
import { promptTokenAllowance, worstCaseUsage } from '../../protocol/worstCase.ts'

/** Worst case of a request: every prompt byte and the template overhead a token, and max_tokens of output. */
export function worstCaseCost({ promptBytes, maxTokens, price }: { promptBytes: number; maxTokens: number; price: Price }): bigint {
  return amountDue(worstCaseUsage({ promptBytes, maxTokens }), price)
}

/** The most output tokens `available` pays for after the prompt's worst case (Infinity when output is free). */
export function affordableMaxTokens({ promptBytes, price, available }: { promptBytes: number; price: Price; available: bigint }): number {
  const output = BigInt(price.output)
  if (output === 0n) return Infinity
  const left = available * 1_000_000n - BigInt(promptBytes + promptTokenAllowance) * BigInt(price.input)
  if (left <= 0n) return 0
  const tokens = left / output
  return tokens > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(tokens)
}

export type RequestBudgetPlan = {
  /** max_tokens to send: the caller's, or one set here so the worst case is bounded (undefined: leave it unset). */
  maxTokens: number | undefined
  /** What the request may cost at most at `price` with that max_tokens. */
  worstCase: bigint
}

/**
 * The request's max_tokens and worst case. A key with a budget (`available` defined) that sends no max_tokens to a
 * node that charges for output gets the most its budget affords, at most `defaultMaxTokens` (at least 1, so a spent
 * budget is refused by the reservation, not by a 0-token job); without a budget nothing is changed.
 */
export function planRequestBudget({
  promptBytes,
  maxTokens,
  price,
  available,
  defaultMaxTokens,
}: {
  promptBytes: number
  maxTokens: number | undefined
  price: Price
  available: bigint | undefined
  defaultMaxTokens: number
}): RequestBudgetPlan {
  let tokens = maxTokens
  if (tokens === undefined && available !== undefined && BigInt(price.output) > 0n) {
    tokens = Math.max(1, Math.min(defaultMaxTokens, affordableMaxTokens({ promptBytes, price, available })))
  }
  return { maxTokens: tokens, worstCase: worstCaseCost({ promptBytes, maxTokens: tokens ?? 0, price }) }
}

/** The higher price on each side: a request's worst case is held at the dearest node it may be sent to. */
export function priceCeiling(prices: Iterable<Price>): Price | undefined {
  let input: bigint | undefined
  let output: bigint | undefined
  for (const p of prices) {
    const i = BigInt(p.input)
    const o = BigInt(p.output)
    if (input === undefined || i > input) input = i
    if (output === undefined || o > output) output = o
  }
  return input === undefined ? undefined : { input: input.toString(), output: output!.toString() }
}
