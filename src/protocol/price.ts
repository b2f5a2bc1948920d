import type { Price } from './schema.ts'

export type Usage = { promptTokens: number; completionTokens: number }

/** Amount due for a job: ceil((prompt * input + completion * output) / 1e6), in the token's base units. */
export function amountDue(usage: Usage, price: Price): bigint {
  const total = BigInt(usage.promptTokens) * BigInt(price.input) + BigInt(usage.completionTokens) * BigInt(price.output)
  return (total + 999_999n) / 1_000_000n
}

/** A bid (the most a client pays per million tokens) covers a price when both sides are at or above it. */
export function bidCovers(bid: Price, price: Price): boolean {
  return BigInt(bid.input) >= BigInt(price.input) && BigInt(bid.output) >= BigInt(price.output)
}

export function isFree(price: Price): boolean {
  return BigInt(price.input) === 0n && BigInt(price.output) === 0n
}
