// Token-bucket rate limits on EVENT messages, per connection and per client IP, and on REQ/COUNT per connection.
import { createTokenBucket, type TokenBucket } from './tokenBucket.ts'
import { reject, type ConnectionInfo, type RejectEventHook, type RejectFilterHook } from '../hooks.ts'

export type RateLimitParameters = { perSecond: number; burst: number; now?: (() => number) | undefined }

export function rateLimitByConnection({ perSecond, burst, now }: RateLimitParameters): RejectEventHook {
  const buckets = new WeakMap<ConnectionInfo, TokenBucket>()
  return (_event, ctx) => {
    let bucket = buckets.get(ctx.conn)
    if (!bucket) buckets.set(ctx.conn, (bucket = createTokenBucket({ rate: perSecond, burst, now })))
    return bucket.take() ? undefined : reject(`rate-limited: more than ${perSecond} events per second on this connection`)
  }
}

export function rateLimitByIp({ perSecond, burst, now }: RateLimitParameters): RejectEventHook {
  const buckets = new Map<string, { bucket: TokenBucket; seen: number }>()
  const clock = now ?? Date.now
  return (_event, ctx) => {
    const t = clock()
    let entry = buckets.get(ctx.conn.ip)
    if (!entry) {
      // Forget idle IPs so the map stays bounded.
      if (buckets.size > 10_000) for (const [ip, e] of buckets) if (t - e.seen > 60_000) buckets.delete(ip)
      buckets.set(ctx.conn.ip, (entry = { bucket: createTokenBucket({ rate: perSecond, burst, now: clock }), seen: t }))
    }
    entry.seen = t
    return entry.bucket.take() ? undefined : reject(`rate-limited: more than ${perSecond} events per second from your address`)
  }
}

export function rateLimitReqsByConnection({ perSecond, burst, now }: RateLimitParameters): RejectFilterHook {
  const buckets = new WeakMap<ConnectionInfo, TokenBucket>()
  return (_filters, ctx) => {
    let bucket = buckets.get(ctx.conn)
    if (!bucket) buckets.set(ctx.conn, (bucket = createTokenBucket({ rate: perSecond, burst, now })))
    return bucket.take() ? undefined : reject(`rate-limited: more than ${perSecond} subscriptions per second`)
  }
}
