// The token bucket both the relay's rate limits and the node's auth limits run on: `perSecond` tokens added, at
// most `burst` held. Pure: the caller keeps the bucket and passes the clock's reading.

export type TokenBucketState = { tokens: number; at: number }
export type TokenRate = { perSecond: number; burst: number }

export function fullBucket(rate: TokenRate, nowMs: number): TokenBucketState {
  return { tokens: rate.burst, at: nowMs }
}

/** Takes `n` tokens at `nowMs`: 0 when taken, else the ms until `n` are there (nothing is taken then). */
export function takeTokens(bucket: TokenBucketState, rate: TokenRate, nowMs: number, n = 1): number {
  bucket.tokens = Math.min(rate.burst, bucket.tokens + ((nowMs - bucket.at) * rate.perSecond) / 1000)
  bucket.at = nowMs
  if (bucket.tokens >= n) {
    bucket.tokens -= n
    return 0
  }
  return Math.ceil(((n - bucket.tokens) * 1000) / rate.perSecond)
}
