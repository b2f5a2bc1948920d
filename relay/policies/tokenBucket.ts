// A token bucket: `rate` tokens per second, at most `burst` banked (the core's src/net/tokenBucket.ts). Pure apart
// from the injected clock.
import { fullBucket, takeTokens } from '../../src/net/tokenBucket.ts'

export type TokenBucket = { take(n?: number): boolean }

export function createTokenBucket({ rate, burst, now = Date.now }: { rate: number; burst: number; now?: (() => number) | undefined }): TokenBucket {
  const limit = { perSecond: rate, burst }
  const bucket = fullBucket(limit, now())
  return {
    take: (n = 1) => takeTokens(bucket, limit, now(), n) === 0,
  }
}
