// NIP-01 live subscriptions: after EOSE, new matching events are pushed to every open subscription.
import assert from 'node:assert/strict'
import { conformance } from './targets.ts'
import { author, now, randomHex64 } from './fixtures.ts'

conformance('NIP-01 live fan-out', {}, ({ test, client }) => {
  test('a new event reaches every matching subscription on every connection, once', async (t) => {
    const subs = await Promise.all([client(t), client(t), client(t)])
    const pub = await client(t)
    const a = author()
    const tag = randomHex64()
    await subs[0]!.req('by-author', [{ authors: [a.pubkey] }])
    await subs[1]!.req('by-tag', [{ '#e': [tag] }])
    // Two filters of one subscription both match: the event must still come once.
    await subs[2]!.req('both', [{ authors: [a.pubkey] }, { kinds: [1], '#e': [tag] }])
    const e = a.sign({ tags: [['e', tag]] })
    assert.equal((await pub.publish(e)).ok, true)
    for (const [c, sub] of [[subs[0]!, 'by-author'], [subs[1]!, 'by-tag'], [subs[2]!, 'both']] as const) {
      const m = await c.next((x) => x[0] === 'EVENT' && x[1] === sub)
      assert.deepEqual(m[2], e)
      assert.equal(await c.none((x) => x[0] === 'EVENT', 100), true, `${sub}: delivered once`)
    }
  })

  test('non-matching events are not delivered', async (t) => {
    const sub = await client(t)
    const pub = await client(t)
    const a = author()
    await sub.req('k7', [{ authors: [a.pubkey], kinds: [7] }])
    await pub.publish(a.sign({ kind: 1 }))
    await pub.publish(author().sign({ kind: 7 }))
    assert.equal(await sub.none((m) => m[0] === 'EVENT', 250), true)
  })

  test('limit applies to the initial query only; live events still flow', async (t) => {
    const sub = await client(t)
    const pub = await client(t)
    const a = author()
    const base = now() - 100
    for (const i of [0, 1, 2]) await pub.publish(a.sign({ created_at: base + i }))
    const r = await sub.req('lim', [{ authors: [a.pubkey], limit: 1 }])
    assert.equal(r.events.length, 1)
    const live = [a.sign({ content: 'live 1' }), a.sign({ content: 'live 2' })]
    for (const e of live) await pub.publish(e)
    for (const e of live) assert.deepEqual((await sub.next((m) => m[0] === 'EVENT' && m[1] === 'lim'))[2], e)
  })

  test('since/until also bound live events', async (t) => {
    const sub = await client(t)
    const pub = await client(t)
    const a = author()
    const cutoff = now() - 1000
    await sub.req('old-only', [{ authors: [a.pubkey], until: cutoff }])
    await pub.publish(a.sign({ created_at: now() }))
    const old = a.sign({ created_at: cutoff - 5 })
    await pub.publish(old)
    const m = await sub.next((x) => x[0] === 'EVENT')
    assert.equal((m[2] as { id: string }).id, old.id)
    assert.equal(await sub.none((x) => x[0] === 'EVENT', 150), true)
  })

  test('the publisher\'s own subscription receives its event too', async (t) => {
    const c = await client(t)
    const a = author()
    await c.req('self', [{ authors: [a.pubkey] }])
    const e = a.sign()
    c.send(['EVENT', e])
    const m = await c.next((x) => x[0] === 'EVENT' && x[1] === 'self')
    assert.deepEqual(m[2], e)
    assert.equal((await c.next((x) => x[0] === 'OK'))[2], true)
  })

  test('a duplicate is not delivered live a second time', async (t) => {
    const sub = await client(t)
    const pub = await client(t)
    const a = author()
    await sub.req('dup-live', [{ authors: [a.pubkey] }])
    const e = a.sign()
    await pub.publish(e)
    await sub.next((m) => m[0] === 'EVENT')
    await pub.publish(e)
    assert.equal(await sub.none((m) => m[0] === 'EVENT', 200), true)
  })
})
