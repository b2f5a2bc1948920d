import assert from 'node:assert/strict'
import { test } from 'node:test'
import { addressKey, KeyedRateLimiter, TokenBucket } from '../../../node/stream/rateLimiter.ts'

test('token bucket: a burst, then the rate, and how long to wait', () => {
  let now = 0
  const bucket = new TokenBucket({ perSecond: 2, burst: 3 }, () => now)
  assert.deepEqual([bucket.take(), bucket.take(), bucket.take()], [0, 0, 0])
  assert.equal(bucket.take(), 500)
  now = 500
  assert.equal(bucket.take(), 0)
  assert.equal(bucket.take(), 500)
  now = 10_000
  // Refilled to the burst, never past it.
  assert.deepEqual([bucket.take(), bucket.take(), bucket.take(), bucket.take() > 0], [0, 0, 0, true])
  assert.equal(new TokenBucket({ perSecond: 0, burst: 0 }).take(), 0, '0 = no limit')
})

test('keyed limiter: one bucket per key, the longest idle forgotten past maxKeys', () => {
  let now = 0
  const limiter = new KeyedRateLimiter({ perSecond: 1, burst: 1 }, () => now, 2)
  assert.equal(limiter.take('a'), 0)
  assert.equal(limiter.take('a'), 1000)
  assert.equal(limiter.take('b'), 0)
  now = 10
  assert.equal(limiter.take('c'), 0)
  assert.equal(limiter.size, 2)
  // 'a' was the longest idle: forgotten, it comes back with a full bucket.
  assert.equal(limiter.take('a'), 0)
})

test('address keys: IPv4 as is (mapped too), IPv6 by its /64', () => {
  assert.equal(addressKey('203.0.113.7'), '203.0.113.7')
  assert.equal(addressKey('::ffff:203.0.113.7'), '203.0.113.7')
  assert.equal(addressKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64')
  assert.equal(addressKey('2001:0db8:0001:0002::9'), '2001:db8:1:2::/64')
  assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64')
  assert.equal(addressKey('::1'), '0:0:0:0::/64')
  assert.equal(addressKey(undefined), '')
})
