// The relay end to end over real WebSockets on 127.0.0.1 (in-process, memory store).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import type { EventTemplate } from 'nostr-tools/core'
import { startRelay, type TestRelay } from '../../helpers/relay.ts'
import { collect, connect, type TestClient } from './wsClient.ts'

const now = () => Math.floor(Date.now() / 1000)
const alice = generateSecretKey()
const bob = generateSecretKey()
const sign = (sk: Uint8Array, t: Partial<EventTemplate>) => finalizeEvent({ kind: 1, created_at: now(), tags: [], content: '', ...t }, sk)

describe('relay over WebSocket', () => {
  let relay: TestRelay
  let c: TestClient
  before(async () => {
    relay = await startRelay({ config: { maxSubscriptions: 3, authRequiredKinds: [4] } })
    c = await connect(relay.url)
  })
  after(async () => {
    await c.close()
    await relay.close()
  })

  it('acknowledges, serves in order, and reports duplicates', async () => {
    const e1 = sign(alice, { created_at: 1000, content: 'one', tags: [['t', 'ord']] })
    const e2 = sign(alice, { created_at: 1001, content: 'two', tags: [['t', 'ord']] })
    c.send(['EVENT', e1])
    c.send(['EVENT', e2])
    assert.deepEqual(await c.ok(e1.id), ['OK', e1.id, true, ''])
    assert.deepEqual(await c.ok(e2.id), ['OK', e2.id, true, ''])
    const dup = await connect(relay.url)
    dup.send(['EVENT', e1])
    assert.match((await dup.ok(e1.id))[3], /^duplicate:/)
    await dup.close()
    c.send(['REQ', 'ord', { '#t': ['ord'] }])
    assert.deepEqual((await collect(c, 'ord')).map((e) => e.content), ['two', 'one'])
    c.send(['REQ', 'lim', { '#t': ['ord'], limit: 1 }])
    assert.deepEqual((await collect(c, 'lim')).map((e) => e.content), ['two'])
    c.send(['COUNT', 'cnt', { '#t': ['ord'] }])
    assert.deepEqual(await c.waitFor((m) => m[0] === 'COUNT'), ['COUNT', 'cnt', { count: 2 }])
    c.send(['CLOSE', 'ord'])
    c.send(['CLOSE', 'lim'])
  })

  it('rejects bad events with prefixed reasons and stores none of them', async () => {
    const good = sign(alice, { content: 'x' })
    const badSig = { ...good, sig: good.sig.replace(/^./, good.sig[0] === '0' ? '1' : '0') }
    c.send(['EVENT', badSig])
    assert.match((await c.ok(badSig.id))[3], /^invalid: signature/)
    const badId = { ...sign(alice, { content: 'y' }), content: 'tampered' }
    c.send(['EVENT', badId])
    assert.match((await c.ok(badId.id))[3], /^invalid: event id/)
    const future = sign(alice, { created_at: now() + 3600 })
    c.send(['EVENT', future])
    assert.match((await c.ok(future.id))[3], /^invalid: created_at/)
    const expired = sign(alice, { tags: [['expiration', String(now() - 10)]] })
    c.send(['EVENT', expired])
    assert.match((await c.ok(expired.id))[3], /^invalid: event has expired/)
    c.send(['EVENT', { id: 'nothex' }])
    assert.match(String((await c.waitFor((m) => m[0] === 'NOTICE' && String(m[1]).includes('id must be')))[1]), /^invalid: /)
    c.send('not json')
    await c.waitFor((m) => m[0] === 'NOTICE' && m[1] === 'invalid: message is not valid JSON')
    c.send(['REQ', 'bad', { ids: ['zz'] }])
    assert.match(String((await c.waitFor((m) => m[0] === 'CLOSED' && m[1] === 'bad'))[2]), /^invalid: /)
    c.send(['REQ', 'none', { ids: [badSig.id, badId.id, future.id, expired.id] }])
    assert.deepEqual(await collect(c, 'none'), [])
  })

  it('keeps the newest replaceable and addressable versions', async () => {
    const old = sign(bob, { kind: 0, created_at: 2000, content: 'old' })
    const cur = sign(bob, { kind: 0, created_at: 2001, content: 'new' })
    c.send(['EVENT', cur])
    await c.ok(cur.id)
    c.send(['EVENT', old])
    assert.equal((await c.ok(old.id))[2], true)
    const a1 = sign(bob, { kind: 30023, created_at: 2000, tags: [['d', 'post']], content: 'v1' })
    const a2 = sign(bob, { kind: 30023, created_at: 2002, tags: [['d', 'post']], content: 'v2' })
    const other = sign(bob, { kind: 30023, created_at: 2000, tags: [['d', 'other']], content: 'o' })
    for (const e of [a1, a2, other]) c.send(['EVENT', e])
    await c.ok(other.id)
    c.send(['REQ', 'rep', { authors: [getPublicKey(bob)], kinds: [0, 30023] }])
    assert.deepEqual((await collect(c, 'rep')).map((e) => e.content).sort(), ['new', 'o', 'v2'])
    c.send(['CLOSE', 'rep'])
  })

  it('applies NIP-09 deletions only to the author’s own events', async () => {
    const mine = sign(alice, { content: 'delete me' })
    const theirs = sign(bob, { content: 'not yours' })
    c.send(['EVENT', mine])
    c.send(['EVENT', theirs])
    await c.ok(theirs.id)
    const del = sign(alice, { kind: 5, tags: [['e', mine.id], ['e', theirs.id]] })
    c.send(['EVENT', del])
    assert.equal((await c.ok(del.id))[2], true)
    c.send(['REQ', 'del', { ids: [mine.id, theirs.id] }])
    assert.deepEqual((await collect(c, 'del')).map((e) => e.id), [theirs.id])
    const again = await connect(relay.url)
    again.send(['EVENT', mine])
    assert.match((await again.ok(mine.id))[3], /^blocked: /)
    await again.close()
    c.send(['CLOSE', 'del'])
  })

  it('fans out live events, including ephemeral ones that are never stored', async () => {
    const sub = await connect(relay.url)
    sub.send(['REQ', 'live', { kinds: [20001, 1], authors: [getPublicKey(bob)], since: now() - 5 }])
    await sub.waitFor((m) => m[0] === 'EOSE')
    const eph = sign(bob, { kind: 20001, content: 'eph' })
    const reg = sign(bob, { kind: 1, content: 'reg' })
    c.send(['EVENT', eph])
    c.send(['EVENT', reg])
    assert.deepEqual((await sub.waitFor((m) => m[0] === 'EVENT' && (m[2] as { id: string }).id === eph.id))[2], JSON.parse(JSON.stringify(eph)))
    await sub.waitFor((m) => m[0] === 'EVENT' && (m[2] as { id: string }).id === reg.id)
    sub.send(['REQ', 'stored', { ids: [eph.id, reg.id] }])
    assert.deepEqual((await collect(sub, 'stored')).map((e) => e.id), [reg.id])
    await sub.close()
  })

  it('closes subscriptions over the per-connection limit and asks for auth on restricted kinds', async () => {
    const s = await connect(relay.url)
    for (const id of ['a', 'b', 'c', 'd']) s.send(['REQ', id, { kinds: [1], limit: 0 }])
    assert.match(String((await s.waitFor((m) => m[0] === 'CLOSED' && m[1] === 'd'))[2]), /^rate-limited: /)
    s.send(['CLOSE', 'a'])
    s.send(['REQ', 'dm', { kinds: [4] }])
    assert.match(String((await s.waitFor((m) => m[0] === 'CLOSED' && m[1] === 'dm'))[2]), /^auth-required: /)
    await s.close()
  })

  it('accepts NIP-70 protected events only from the authenticated author (NIP-42)', async () => {
    const s = await connect(relay.url)
    const challenge = String((await s.waitFor((m) => m[0] === 'AUTH'))[1])
    const prot = sign(alice, { tags: [['-']], content: 'protected' })
    s.send(['EVENT', prot])
    assert.match((await s.ok(prot.id))[3], /^auth-required: /)
    const wrong = sign(alice, { kind: 22242, tags: [['relay', relay.url], ['challenge', 'nope']] })
    s.send(['AUTH', wrong])
    assert.equal((await s.ok(wrong.id))[2], false)
    const auth = sign(bob, { kind: 22242, tags: [['relay', relay.url], ['challenge', challenge]] })
    s.send(['EVENT', auth])
    assert.match((await s.ok(auth.id))[3], /^invalid: kind 22242/, 'an AUTH event sent with EVENT is neither stored nor broadcast')
    s.messages.length = 0
    s.send(['AUTH', auth])
    assert.deepEqual(await s.ok(auth.id), ['OK', auth.id, true, ''])
    const prot2 = sign(alice, { tags: [['-']], content: 'protected 2' })
    s.send(['EVENT', prot2])
    assert.match((await s.ok(prot2.id))[3], /^restricted: /)
    const own = sign(bob, { tags: [['-']], content: 'mine' })
    s.send(['EVENT', own])
    assert.equal((await s.ok(own.id))[2], true)
    s.send(['REQ', 'dm', { kinds: [4] }])
    await s.waitFor((m) => m[0] === 'EOSE' && m[1] === 'dm')
    await s.close()
  })

  it('serves NIP-11 with CORS and Prometheus metrics on the same port', async () => {
    const http = relay.url.replace(/^ws/, 'http')
    const res = await fetch(http, { headers: { accept: 'application/nostr+json' } })
    assert.equal(res.headers.get('access-control-allow-origin'), '*')
    const info = (await res.json()) as { supported_nips: number[]; limitation: Record<string, unknown> }
    assert.ok(info.supported_nips.includes(1) && info.supported_nips.includes(42))
    assert.equal(info.limitation.max_subscriptions, 3)
    const metrics = await (await fetch(`${http}/metrics`)).text()
    assert.match(metrics, /^relay_events_saved_total \d+$/m)
    assert.match(metrics, /^relay_rejects_total\{reason="invalid"\} \d+$/m)
    assert.match(metrics, /^relay_connections_open \d+$/m)
  })
})

describe('signature checks in the worker pool', () => {
  it('accepts valid and rejects forged events, keeping read-after-write order per connection', async () => {
    const relay = await startRelay({ config: { verifyThreads: 2 } })
    const c = await connect(relay.url)
    try {
      const events = Array.from({ length: 40 }, (_, i) => sign(alice, { created_at: 3000 + i, tags: [['t', 'pool']], content: `p${i}` }))
      const forged = { ...sign(bob, { content: 'forged' }), pubkey: getPublicKey(alice) }
      const forgedId = sign(alice, { content: 'forged' })
      const badSig = { ...forgedId, sig: forgedId.sig.replace(/^./, forgedId.sig[0] === 'f' ? 'e' : 'f') }
      for (const e of events) c.send(['EVENT', e])
      c.send(['EVENT', forged])
      c.send(['EVENT', badSig])
      // Sent without waiting for OKs: the REQ must still see all 40 writes.
      c.send(['REQ', 'pool', { '#t': ['pool'] }])
      assert.equal((await collect(c, 'pool')).length, 40)
      assert.match((await c.ok(forged.id))[3], /^invalid: /)
      assert.match((await c.ok(badSig.id))[3], /^invalid: signature/)
      for (const e of events) assert.equal((await c.ok(e.id))[2], true)
    } finally {
      await c.close()
      await relay.close()
    }
  })
})
