// NIP-09 deletion requests (kind 5) by e and a tags.
import assert from 'node:assert/strict'
import { conformance } from './targets.ts'
import { author, ids, now } from './fixtures.ts'

const keepsRequestDiffers = 'does not store or fan out the kind-5 request itself; NIP-09: relays SHOULD continue to publish the deletion request events indefinitely: relay/CONFORMANCE.md#nip-09-deletion-request-kept'

conformance('NIP-09 deletion', {}, ({ test, client }) => {
  test('an e-tag deletion request removes the author\'s event from query results', async (t) => {
    const c = await client(t)
    const a = author()
    const doomed = a.sign({ content: 'oops' })
    const kept = a.sign({ content: 'fine' })
    for (const e of [doomed, kept]) assert.equal((await c.publish(e)).ok, true)
    const del = a.sign({ kind: 5, tags: [['e', doomed.id], ['k', '1']] })
    assert.equal((await c.publish(del)).ok, true)
    const r = await c.req('after-del', [{ authors: [a.pubkey], kinds: [1] }])
    assert.deepEqual(ids(r.events), [kept.id])
    assert.deepEqual((await c.req('by-id', [{ ids: [doomed.id] }])).events, [])
  })

  test('a deletion request by another pubkey deletes nothing', async (t) => {
    const c = await client(t)
    const a = author()
    const mallory = author()
    const e = a.sign()
    assert.equal((await c.publish(e)).ok, true)
    await c.publish(mallory.sign({ kind: 5, tags: [['e', e.id]] }))
    assert.deepEqual(ids((await c.req('still', [{ ids: [e.id] }])).events), [e.id])
  })

  test('an a-tag deletion request removes addressable versions up to its created_at', async (t) => {
    const c = await client(t)
    const a = author()
    const base = now() - 100
    const v = a.sign({ kind: 30078, created_at: base, tags: [['d', 'gone']] })
    const other = a.sign({ kind: 30078, created_at: base, tags: [['d', 'stays']] })
    for (const e of [v, other]) assert.equal((await c.publish(e)).ok, true)
    const del = a.sign({ kind: 5, created_at: base + 10, tags: [['a', `30078:${a.pubkey}:gone`]] })
    assert.equal((await c.publish(del)).ok, true)
    const r = await c.req('addr-del', [{ authors: [a.pubkey], kinds: [30078] }])
    assert.deepEqual(ids(r.events), [other.id])
    // A version newer than the request is not covered by it.
    const newer = a.sign({ kind: 30078, created_at: base + 20, tags: [['d', 'gone']] })
    assert.equal((await c.publish(newer)).ok, true)
    const r2 = await c.req('addr-new', [{ authors: [a.pubkey], kinds: [30078], '#d': ['gone'] }])
    assert.deepEqual(ids(r2.events), [newer.id])
  })

  test('an a-tag deletion request with an empty d removes a replaceable event', async (t) => {
    const c = await client(t)
    const a = author()
    const base = now() - 100
    const list = a.sign({ kind: 10002, created_at: base })
    assert.equal((await c.publish(list)).ok, true)
    assert.equal((await c.publish(a.sign({ kind: 5, created_at: base + 1, tags: [['a', `10002:${a.pubkey}:`]] }))).ok, true)
    assert.deepEqual((await c.req('repl-del', [{ authors: [a.pubkey], kinds: [10002] }])).events, [])
  })

  test('the deletion request itself is stored and served', { differs: { 'third-party': keepsRequestDiffers } }, async (t) => {
    const c = await client(t)
    const a = author()
    const e = a.sign()
    await c.publish(e)
    const del = a.sign({ kind: 5, tags: [['e', e.id]] })
    assert.equal((await c.publish(del)).ok, true)
    assert.deepEqual(ids((await c.req('del-kept', [{ authors: [a.pubkey], kinds: [5] }])).events), [del.id])
  })

  test('a deleted event sent again is not served again', { differs: { 'third-party': keepsRequestDiffers } }, async (t) => {
    const c = await client(t)
    const a = author()
    const e = a.sign()
    await c.publish(e)
    await c.publish(a.sign({ kind: 5, tags: [['e', e.id]] }))
    await c.publish(e) // OK true or false: either way it must stay deleted
    assert.deepEqual((await c.req('re-sent', [{ ids: [e.id] }])).events, [])
  })
})
