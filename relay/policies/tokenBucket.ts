// A token bucket: `rate` tokens per second, at most `burst` banked. Pure apart from the injected clock.
export type TokenBucket = { take(n?: number): boolean }

export function createTokenBucket({ rate, burst, now = Date.now }: { rate: number; burst: number; now?: (() => number) | undefined }): TokenBucket {
  let tokens = burst
  let last = now()
  return {
    take(n = 1) {
      const t = now()
      tokens = Math.min(burst, tokens + ((t - last) / 1000) * rate)
      last = t
      if (tokens < n) return false
      tokens -= n
      return true
    },
  }
}
