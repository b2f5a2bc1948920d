// Token buckets for the auth events the direct channel accepts (nips/stream.md, "Limits"): one per connection and
// one per client address, taken before any signature is checked, so a flood costs the node a map lookup per frame
// instead of a Schnorr verification and a place in the replay guard. Pure apart from the injected clock. The bucket
// arithmetic is the core's (src/net/tokenBucket.ts), the relay's limits run on it too.
import { fullBucket, takeTokens, type TokenBucketState } from '../../src/net/tokenBucket.ts'

export type RateLimit = {
  /** Tokens added per second; 0 = no limit. */
  perSecond: number
  /** Most tokens held at once (the burst a fresh client may spend at once). */
  burst: number
}

/** One bucket (a connection's). */
export class TokenBucket {
  readonly #bucket: TokenBucketState
  constructor(
    readonly limit: RateLimit,
    readonly now: () => number = Date.now,
  ) {
    this.#bucket = fullBucket(limit, now())
  }
  /** 0 when a token was taken, else the ms to wait for one. */
  take(): number {
    return this.limit.perSecond <= 0 ? 0 : takeTokens(this.#bucket, this.limit, this.now())
  }
}

/**
 * One bucket per key (a client address), at most `maxKeys` of them: past that, the longest idle are forgotten
 * (a forgotten bucket comes back full, which is what a long idle one would have refilled to anyway).
 */
export class KeyedRateLimiter {
  readonly #buckets = new Map<string, TokenBucketState>()
  constructor(
    readonly limit: RateLimit,
    readonly now: () => number = Date.now,
    readonly maxKeys = 65_536,
  ) {}

  take(key: string): number {
    if (this.limit.perSecond <= 0) return 0
    const nowMs = this.now()
    let bucket = this.#buckets.get(key)
    if (bucket) this.#buckets.delete(key)
    else {
      bucket = fullBucket(this.limit, nowMs)
      // Map order is last use: the first key is the longest idle.
      while (this.#buckets.size >= this.maxKeys) this.#buckets.delete(this.#buckets.keys().next().value!)
    }
    this.#buckets.set(key, bucket)
    return takeTokens(bucket, this.limit, nowMs)
  }

  get size(): number {
    return this.#buckets.size
  }
}

/**
 * The key a client address is limited under: an IPv4 address (IPv4-mapped IPv6 included) as it is, an IPv6
 * address by its /64 prefix, which one host or customer usually holds whole.
 */
export function addressKey(remoteAddress: string | undefined): string {
  const address = (remoteAddress ?? '').toLowerCase()
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address)
  if (mapped) return mapped[1]!
  if (!address.includes(':')) return address
  const [head = '', tail = ''] = address.split('::')
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const groups = address.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`
}
