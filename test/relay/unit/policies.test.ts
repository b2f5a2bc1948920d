import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure'
import type { NostrEvent } from '../../../src/protocol/event.ts'
import type { ConnectionInfo } from '../../../relay/hooks.ts'
import { createTokenBucket } from '../../../relay/policies/tokenBucket.ts'
import { rateLimitByConnection, rateLimitByIp } from '../../../relay/policies/rateLimit.ts'
import { createdAtWindow, maxContentLength, maxEventSize, maxTags, rejectExpired } from '../../../relay/policies/limits.ts'
import { minPow, protectedEvents, requireAuth, requireAuthForKinds, shadowRejectPubkeys } from '../../../relay/policies/access.ts'
import { defaultPolicies } from '../../../relay/policies/defaultPolicies.ts'
import { defaultRelayConfig } from '../../../relay/config.ts'
import { startRelay } from '../../helpers/relay.ts'
import { connect } from './wsClient.ts'

const P = 'a'.repeat(64)
const ev = (over: Partial<NostrEvent> = {}): NostrEvent => ({ id: 'f'.repeat(64), pubkey: P, created_at: 1000, kind: 1, tags: [], content: '', sig: '0'.repeat(128), ...over })
const conn = (over: Partial<ConnectionInfo> = {}): ConnectionInfo => ({ id: 1, ip: '127.0.0.1', authed: new Set(), ...over })
const ctx = (over: Partial<{ conn: ConnectionInfo; now: number; size: number }> = {}) => ({ conn: conn(), now: 1000, size: 100, ...over })

describe('policies', () => {
  it('token bucket refills at its rate up to its burst', () => {
    let t = 0
    const b = createTokenBucket({ rate: 2, burst: 3, now: () => t })
    assert.deepEqual([b.take(), b.take(), b.take(), b.take()], [true, true, true, false])
    t = 500
    assert.deepEqual([b.take(), b.take()], [true, false])
    t = 100_000
    assert.deepEqual([b.take(), b.take(), b.take(), b.take()], [true, true, true, false])
  })

  it('rate limits per connection and per IP with rate-limited:', () => {
    const t = 0
    const perConn = rateLimitByConnection({ perSecond: 1, burst: 2, now: () => t })
    const c1 = conn()
    const c2 = conn({ id: 2 })
    assert.equal(perConn(ev(), ctx({ conn: c1 })), undefined)
    assert.equal(perConn(ev(), ctx({ conn: c1 })), undefined)
    assert.match((perConn(ev(), ctx({ conn: c1 })) as { reason: string }).reason, /^rate-limited: /)
    assert.equal(perConn(ev(), ctx({ conn: c2 })), undefined, 'another connection has its own bucket')
    const perIp = rateLimitByIp({ perSecond: 1, burst: 1, now: () => t })
    assert.equal(perIp(ev(), ctx({ conn: c1 })), undefined)
    assert.match((perIp(ev(), ctx({ conn: c2 })) as { reason: string }).reason, /^rate-limited: /, 'same IP shares the bucket')
    assert.equal(perIp(ev(), ctx({ conn: conn({ ip: '10.0.0.2' }) })), undefined)
  })

  it('size, tags, content, created_at window and expiration', () => {
    assert.match((maxEventSize({ maxBytes: 50 })(ev(), ctx({ size: 51 })) as { reason: string }).reason, /^invalid: /)
    assert.equal(maxEventSize({ maxBytes: 50 })(ev(), ctx({ size: 50 })), undefined)
    assert.ok(maxTags({ max: 1 })(ev({ tags: [['a'], ['b']] }), ctx()))
    assert.ok(maxContentLength({ max: 2 })(ev({ content: 'abc' }), ctx()))
    const window = createdAtWindow({ pastSeconds: 100, futureSeconds: 10 })
    assert.equal(window(ev({ created_at: 1010 }), ctx()), undefined)
    assert.ok(window(ev({ created_at: 1011 }), ctx()))
    assert.ok(window(ev({ created_at: 899 }), ctx()))
    assert.equal(createdAtWindow({ pastSeconds: 0, futureSeconds: 10 })(ev({ created_at: 0 }), ctx()), undefined)
    assert.ok(rejectExpired()(ev({ tags: [['expiration', '1000']] }), ctx()))
    assert.equal(rejectExpired()(ev({ tags: [['expiration', '1001']] }), ctx()), undefined)
  })

  it('PoW, auth, protected events and shadow reject', () => {
    assert.match((minPow({ difficulty: 8 })(ev({ id: '0f' + 'f'.repeat(62) }), ctx()) as { reason: string }).reason, /^pow: difficulty 4 is less than 8/)
    assert.equal(minPow({ difficulty: 8 })(ev({ id: '00' + 'f'.repeat(62) }), ctx()), undefined)
    assert.match((requireAuth()(ev(), ctx()) as { reason: string }).reason, /^auth-required: /)
    assert.equal(requireAuth()(ev(), ctx({ conn: conn({ authed: new Set([P]) }) })), undefined)
    const prot = ev({ tags: [['-']] })
    assert.match((protectedEvents()(prot, ctx()) as { reason: string }).reason, /^auth-required: /)
    assert.match((protectedEvents()(prot, ctx({ conn: conn({ authed: new Set(['b'.repeat(64)]) }) })) as { reason: string }).reason, /^restricted: /)
    assert.equal(protectedEvents()(prot, ctx({ conn: conn({ authed: new Set([P]) }) })), undefined)
    assert.deepEqual(shadowRejectPubkeys({ pubkeys: [P] })(ev(), ctx()), { action: 'shadowReject' })
    const read = requireAuthForKinds({ kinds: [4] })
    assert.match((read([{ kinds: [1, 4] }], { conn: conn(), now: 0 }) as { reason: string }).reason, /^auth-required: /)
    assert.equal(read([{ kinds: [1] }], { conn: conn(), now: 0 }), undefined)
  })

  it('defaultPolicies follows the config', () => {
    const base = defaultPolicies(defaultRelayConfig())
    const strict = defaultPolicies({ ...defaultRelayConfig(), minPowDifficulty: 10, authRequiredToWrite: true, authRequiredKinds: [4] })
    assert.equal(strict.rejectEvent.length, base.rejectEvent.length + 2)
    assert.equal(strict.rejectFilter.length, base.rejectFilter.length + 1)
  })
})

describe('connection-level limits over WebSocket', () => {
  const started: { close(): Promise<void> }[] = []
  after(async () => {
    for (const r of started) await r.close()
  })

  it('answers oversized messages, shadow-rejects, enforces PoW and per-connection rate limits', async () => {
    const sk = generateSecretKey()
    const shadowSk = generateSecretKey()
    const shadowPk = finalizeEvent({ kind: 1, created_at: 0, tags: [], content: '' }, shadowSk).pubkey
    const relay = await startRelay({
      config: { maxMessageBytes: 2000, eventsPerSecondPerConnection: 0.001, eventBurstPerConnection: 2, minPowDifficulty: 1, shadowBlockedPubkeys: [shadowPk] },
    })
    started.push(relay)
    const c = await connect(relay.url)
    const mine = (content: string, key = sk) => {
      // Grind a 1-bit PoW: try created_at values until the id starts with 0-7.
      for (let t = 1_700_000_000; ; t++) {
        const e = finalizeEvent({ kind: 1, created_at: t, tags: [], content }, key)
        if (parseInt(e.id[0]!, 16) < 8) return e
      }
    }
    const big = mine('x'.repeat(3000))
    c.send(['EVENT', big])
    assert.match((await c.ok(big.id))[3], /^invalid: message is \d+ bytes/)
    const shadow = mine('spam', shadowSk)
    c.send(['EVENT', shadow])
    assert.equal((await c.ok(shadow.id))[2], true)
    const nopow = (() => {
      for (let t = 1_700_000_000; ; t++) {
        const e = finalizeEvent({ kind: 1, created_at: t, tags: [], content: 'nopow' }, sk)
        if (parseInt(e.id[0]!, 16) >= 8) return e
      }
    })()
    c.send(['EVENT', nopow])
    assert.match((await c.ok(nopow.id))[3], /^pow: /)
    const last = mine('fourth')
    c.send(['EVENT', last])
    assert.match((await c.ok(last.id))[3], /^rate-limited: /)
    c.send(['REQ', 'q', { ids: [shadow.id, big.id] }])
    await c.waitFor((m) => m[0] === 'EOSE')
    assert.equal(c.messages.filter((m) => m[0] === 'EVENT').length, 0, 'neither the oversized nor the shadow-rejected event is stored')
    await c.close()
  })

  it('cuts off a client that never reads instead of buffering without bound', async () => {
    const relay = await startRelay({ config: { maxBufferedBytes: 64 * 1024, eventsPerSecondPerConnection: 0, eventsPerSecondPerIp: 0 } })
    started.push(relay)
    const sk = generateSecretKey()
    const writer = await connect(relay.url)
    const reader = await connect(relay.url)
    // 40 matching subscriptions: every event is sent 40 times, more than the kernel's socket buffers absorb.
    for (let i = 0; i < 40; i++) reader.send(['REQ', `all${i}`, { kinds: [1] }])
    await reader.waitFor((m) => m[0] === 'EOSE' && m[1] === 'all39')
    const closed = new Promise<number>((resolve) => reader.ws.once('close', (code) => resolve(code)))
    // Stop reading: pause the underlying socket so the relay's send buffer fills.
    ;(reader.ws as unknown as { _socket: { pause(): void } })._socket.pause()
    const content = 'y'.repeat(8000)
    let lastId = ''
    for (let i = 0; i < 200; i++) {
      const e = finalizeEvent({ kind: 1, created_at: 1_700_000_000 + i, tags: [], content }, sk)
      writer.send(['EVENT', e])
      lastId = e.id
    }
    await writer.ok(lastId)
    ;(reader.ws as unknown as { _socket: { resume(): void } })._socket.resume()
    // 1008 when the client drains its backlog in time to see the close frame, 1006 once the relay terminates it.
    assert.ok([1006, 1008].includes(await closed))
    const metrics = await (await fetch(relay.url.replace(/^ws/, 'http') + '/metrics')).text()
    assert.match(metrics, /^relay_slow_consumers_cut_total 1$/m)
    // The writer's connection is unaffected.
    writer.send(['REQ', 'still', { ids: [lastId] }])
    await writer.waitFor((m) => m[0] === 'EOSE' && m[1] === 'still')
    await writer.close()
  })
})
