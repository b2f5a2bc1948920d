// NIP-01 message flow: EVENT/OK, REQ/EVENT/EOSE, CLOSE, CLOSED, NOTICE, and NIP-45 COUNT.
import assert from 'node:assert/strict'
import { verifyEvent } from 'nostr-tools/pure'
import { conformance } from './targets.ts'
import { author, ids, prefixOf, sorted, standardPrefixes, withBadSignature } from './fixtures.ts'

conformance('NIP-01 messages', {}, ({ test, client }) => {
  test('EVENT is answered with ["OK", id, true, <string>]', async (t) => {
    const c = await client(t)
    const e = author().sign({ content: 'hello' })
    c.send(['EVENT', e])
    const ok = await c.next((m) => m[0] === 'OK')
    assert.equal(ok.length, 4, 'OK has exactly 4 elements; the 4th MUST always be present')
    assert.deepEqual(ok.slice(0, 3), ['OK', e.id, true])
    assert.equal(typeof ok[3], 'string')
  })

  test('a rejected EVENT gets OK false with a machine-readable prefix', async (t) => {
    const c = await client(t)
    const ok = await c.publish(withBadSignature(author().sign()))
    assert.equal(ok.ok, false)
    assert.equal(prefixOf(ok.message), 'invalid', ok.message)
  })

  test('a duplicate EVENT gets OK true with the duplicate: prefix', async (t) => {
    const c = await client(t)
    const e = author().sign({ content: 'twice' })
    assert.equal((await c.publish(e)).ok, true)
    const again = await c.publish(e)
    assert.equal(again.ok, true)
    assert.equal(prefixOf(again.message), 'duplicate', again.message)
    const { events } = await c.req('dup', [{ ids: [e.id] }])
    assert.equal(events.length, 1, 'stored once')
  })

  test('REQ returns stored events tagged with the subscription id, then EOSE', async (t) => {
    const c = await client(t)
    const a = author()
    const stored = [a.sign({ content: '1' }), a.sign({ content: '2' })]
    for (const e of stored) assert.equal((await c.publish(e)).ok, true)
    c.send(['REQ', 'sub-a', { authors: [a.pubkey] }])
    const first = await c.next((m) => m[1] === 'sub-a')
    const second = await c.next((m) => m[1] === 'sub-a')
    const eose = await c.next((m) => m[1] === 'sub-a')
    assert.equal(first[0], 'EVENT')
    assert.equal(second[0], 'EVENT')
    assert.deepEqual(eose, ['EOSE', 'sub-a'])
    assert.deepEqual(sorted([(first[2] as { id: string }).id, (second[2] as { id: string }).id]), sorted(ids(stored)))
    assert.deepEqual(first[2], stored.find((e) => e.id === (first[2] as { id: string }).id), 'events come back byte-for-byte equal')
  })

  test('content with escapes, control characters and non-BMP text round-trips exactly', async (t) => {
    const c = await client(t)
    const a = author()
    const content = 'line\nquote" backslash\\ tab\t cr\r nul\u0000 bell\u0007 ls\u2028 emoji 🙂 中文'
    const e = a.sign({ content, tags: [['t', 'ünïcode'], ['x', '', 'empty value']] })
    assert.equal((await c.publish(e)).ok, true)
    const r = await c.req('unicode', [{ ids: [e.id] }])
    assert.deepEqual(r.events, [e])
    assert.equal(verifyEvent(structuredClone(r.events[0]!)), true, 'still verifies as served')
  })

  test('REQ matching nothing still gets EOSE', async (t) => {
    const c = await client(t)
    const r = await c.req('empty', [{ authors: [author().pubkey] }])
    assert.deepEqual(r, { events: [], eose: true })
  })

  test('CLOSE ends a subscription: no more live events', async (t) => {
    const c = await client(t)
    const pub = await client(t)
    const a = author()
    await c.req('to-close', [{ authors: [a.pubkey] }])
    c.send(['CLOSE', 'to-close'])
    // A round trip on the same socket so the CLOSE has surely been handled before we publish.
    await c.req('barrier', [{ authors: [author().pubkey] }])
    assert.equal((await pub.publish(a.sign())).ok, true)
    assert.equal(await c.none((m) => m[0] === 'EVENT' && m[1] === 'to-close', 300), true)
  })

  test('a REQ reusing a subscription id replaces the previous subscription', async (t) => {
    const c = await client(t)
    const pub = await client(t)
    const a = author()
    const b = author()
    await c.req('same', [{ authors: [a.pubkey] }])
    await c.req('same', [{ authors: [b.pubkey] }])
    await pub.publish(a.sign({ content: 'old filter' }))
    const fromB = b.sign({ content: 'new filter' })
    await pub.publish(fromB)
    const live = await c.next((m) => m[0] === 'EVENT' && m[1] === 'same')
    assert.equal((live[2] as { id: string }).id, fromB.id, 'only the new filter matches')
    assert.equal(await c.none((m) => m[0] === 'EVENT' && m[1] === 'same', 200), true)
  })

  test('subscription ids are per connection', async (t) => {
    const c1 = await client(t)
    const c2 = await client(t)
    const pub = await client(t)
    const a = author()
    const b = author()
    await c1.req('shared-id', [{ authors: [a.pubkey] }])
    await c2.req('shared-id', [{ authors: [b.pubkey] }])
    const ea = a.sign()
    const eb = b.sign()
    await pub.publish(ea)
    await pub.publish(eb)
    assert.equal(((await c1.next((m) => m[0] === 'EVENT'))[2] as { id: string }).id, ea.id)
    assert.equal(((await c2.next((m) => m[0] === 'EVENT'))[2] as { id: string }).id, eb.id)
    assert.equal(await c1.none((m) => m[0] === 'EVENT', 150), true)
  })

  test('a REQ with an empty subscription id is refused (CLOSED or NOTICE, never EOSE)', async (t) => {
    const c = await client(t)
    c.send(['REQ', '', {}])
    const m = await c.next((x) => x[0] === 'CLOSED' || x[0] === 'NOTICE' || x[0] === 'EOSE')
    assert.notEqual(m[0], 'EOSE')
    if (m[0] === 'CLOSED') assert.ok(standardPrefixes.includes(prefixOf(m[2] as string) ?? ''), String(m[2]))
  })

  test('an unknown message type gets a NOTICE and the connection stays usable', async (t) => {
    const c = await client(t)
    c.send(['HELLO', 'world'])
    const notice = await c.next((m) => m[0] === 'NOTICE')
    assert.equal(typeof notice[1], 'string')
    assert.deepEqual(await c.req('after', [{ authors: [author().pubkey] }]), { events: [], eose: true })
  })

  test('NIP-45 COUNT answers ["COUNT", id, {count}] over the union of its filters', { only: ['ours'] }, async (t) => {
    const c = await client(t)
    const a = author()
    const b = author()
    for (const e of [a.sign({ content: '1' }), a.sign({ content: '2' }), a.sign({ kind: 7 }), b.sign()]) {
      assert.equal((await c.publish(e)).ok, true)
    }
    assert.deepEqual(await c.count('c1', [{ authors: [a.pubkey], kinds: [1] }]), { count: 2 })
    assert.deepEqual(await c.count('c2', [{ authors: [a.pubkey] }, { authors: [b.pubkey] }, { kinds: [7], authors: [a.pubkey] }]), { count: 4 })
    assert.deepEqual(await c.count('c3', [{ authors: [author().pubkey] }]), { count: 0 })
  })
})
