// NIP-01 filters: every field, several filters per REQ, and the order of a query answer.
import assert from 'node:assert/strict'
import type { Event as NostrEvent } from 'nostr-tools'
import type { NostrClient } from '../../helpers/nostrClient.ts'
import { conformance } from './targets.ts'
import { author, ids, nip01Order, now, randomHex64, sorted } from './fixtures.ts'

async function publishAll(c: NostrClient, events: NostrEvent[]): Promise<void> {
  for (const e of events) {
    const ok = await c.publish(e)
    assert.equal(ok.ok, true, ok.message)
  }
}

conformance('NIP-01 filters', {}, ({ test, client }) => {
  test('ids: exact event ids', async (t) => {
    const c = await client(t)
    const a = author()
    const events = [a.sign({ content: 'x' }), a.sign({ content: 'y' }), a.sign({ content: 'z' })]
    await publishAll(c, events)
    const r = await c.req('ids', [{ ids: [events[0]!.id, events[2]!.id, randomHex64()] }])
    assert.deepEqual(sorted(ids(r.events)), sorted([events[0]!.id, events[2]!.id]))
  })

  test('authors: any of the listed pubkeys', async (t) => {
    const c = await client(t)
    const [a, b, x] = [author(), author(), author()]
    const ea = a.sign()
    const eb = b.sign()
    await publishAll(c, [ea, eb, x.sign()])
    const r = await c.req('authors', [{ authors: [a.pubkey, b.pubkey] }])
    assert.deepEqual(sorted(ids(r.events)), sorted([ea.id, eb.id]))
  })

  test('kinds: any of the listed kinds', async (t) => {
    const c = await client(t)
    const a = author()
    const k1 = a.sign({ kind: 1 })
    const k7 = a.sign({ kind: 7 })
    const k1111 = a.sign({ kind: 1111 })
    await publishAll(c, [k1, k7, k1111])
    const r = await c.req('kinds', [{ authors: [a.pubkey], kinds: [7, 1111] }])
    assert.deepEqual(sorted(ids(r.events)), sorted([k7.id, k1111.id]))
  })

  test('#e, #p and #t tag filters match any value of the tag (first value only)', async (t) => {
    const c = await client(t)
    const a = author()
    const target = randomHex64()
    const person = author().pubkey
    const withE = a.sign({ tags: [['e', target, 'wss://r.example']] })
    const withP = a.sign({ tags: [['p', person]] })
    const withT = a.sign({ tags: [['t', 'gpu'], ['t', 'llm']] })
    // The value sits in the second position of a tag named "x", not in an "e" tag: must not match #e.
    const decoy = a.sign({ tags: [['x', target], ['e', randomHex64(), target]] })
    await publishAll(c, [withE, withP, withT, decoy])
    assert.deepEqual(ids((await c.req('e', [{ '#e': [target] }])).events), [withE.id])
    assert.deepEqual(ids((await c.req('p', [{ '#p': [person, randomHex64()] }])).events), [withP.id])
    assert.deepEqual(ids((await c.req('t', [{ authors: [a.pubkey], '#t': ['llm'] }])).events), [withT.id])
    assert.deepEqual((await c.req('none', [{ authors: [a.pubkey], '#t': ['cpu'] }])).events, [])
  })

  test('tag filters are case-sensitive single letters: #T is not #t', async (t) => {
    const c = await client(t)
    const a = author()
    const upper = a.sign({ tags: [['T', 'Case']] })
    const lower = a.sign({ tags: [['t', 'Case']] })
    await publishAll(c, [upper, lower])
    assert.deepEqual(ids((await c.req('T', [{ authors: [a.pubkey], '#T': ['Case'] }])).events), [upper.id])
    assert.deepEqual(ids((await c.req('t-lower', [{ authors: [a.pubkey], '#t': ['Case'] }])).events), [lower.id])
    assert.deepEqual((await c.req('t-value', [{ authors: [a.pubkey], '#t': ['case'] }])).events, [], 'values match exactly')
  })

  test('conditions inside one filter are ANDed', async (t) => {
    const c = await client(t)
    const a = author()
    const match = a.sign({ kind: 1, tags: [['t', 'and']] })
    await publishAll(c, [match, a.sign({ kind: 7, tags: [['t', 'and']] }), a.sign({ kind: 1, tags: [['t', 'or']] })])
    const r = await c.req('and', [{ authors: [a.pubkey], kinds: [1], '#t': ['and'] }])
    assert.deepEqual(ids(r.events), [match.id])
  })

  test('since and until are inclusive bounds on created_at', async (t) => {
    const c = await client(t)
    const a = author()
    const base = now() - 1000
    const events = [0, 10, 20, 30, 40].map((d) => a.sign({ created_at: base + d }))
    await publishAll(c, events)
    const r = await c.req('range', [{ authors: [a.pubkey], since: base + 10, until: base + 30 }])
    assert.deepEqual(sorted(ids(r.events)), sorted(ids(events.slice(1, 4))))
    assert.equal((await c.req('since', [{ authors: [a.pubkey], since: base + 40 }])).events.length, 1)
    assert.equal((await c.req('until', [{ authors: [a.pubkey], until: base }])).events.length, 1)
  })

  test('limit returns the newest n events, newest first', async (t) => {
    const c = await client(t)
    const a = author()
    const base = now() - 1000
    const events = [5, 1, 4, 2, 3].map((d) => a.sign({ created_at: base + d, content: String(d) }))
    await publishAll(c, events)
    const r = await c.req('limit', [{ authors: [a.pubkey], limit: 3 }])
    assert.deepEqual(ids(r.events), ids(nip01Order(events).slice(0, 3)))
  })

  test('limit: 0 returns no stored events, only EOSE', async (t) => {
    const c = await client(t)
    const a = author()
    await publishAll(c, [a.sign()])
    assert.deepEqual(await c.req('zero', [{ authors: [a.pubkey], limit: 0 }]), { events: [], eose: true })
  })

  test('results are ordered by created_at desc, then id asc on ties', async (t) => {
    const c = await client(t)
    const a = author()
    const ts = now() - 500
    const tied = Array.from({ length: 8 }, (_, i) => a.sign({ created_at: ts, content: `tie ${i}` }))
    const older = a.sign({ created_at: ts - 1 })
    const newer = a.sign({ created_at: ts + 1 })
    // Publish the tied events in descending id order so that insertion order differs from the NIP order.
    const tiedDesc = [...tied].sort((x, y) => (x.id < y.id ? 1 : -1))
    await publishAll(c, [older, ...tiedDesc, newer])
    const r = await c.req('order', [{ authors: [a.pubkey] }])
    assert.deepEqual(ids(r.events), ids(nip01Order([older, ...tied, newer])))
    const limited = await c.req('order-limit', [{ authors: [a.pubkey], limit: 4 }])
    assert.deepEqual(ids(limited.events), ids(nip01Order([older, ...tied, newer]).slice(0, 4)))
  })

  test('several filters in one REQ are ORed, and an event matching two filters comes once', async (t) => {
    const c = await client(t)
    const [a, b] = [author(), author()]
    const ea = a.sign({ kind: 1 })
    const eb = b.sign({ kind: 7 })
    const ea7 = a.sign({ kind: 7 })
    await publishAll(c, [ea, eb, ea7])
    const r = await c.req('union', [{ authors: [a.pubkey] }, { kinds: [7], authors: [a.pubkey, b.pubkey] }, { ids: [ea.id] }])
    assert.deepEqual(sorted(ids(r.events)), sorted([ea.id, eb.id, ea7.id]))
  })

  test('ids that match nothing give EOSE only', async (t) => {
    const c = await client(t)
    assert.deepEqual(await c.req('unknown', [{ ids: [randomHex64()] }]), { events: [], eose: true })
  })
})
