// NIP-01 kind ranges: regular, replaceable, ephemeral and addressable events.
import assert from 'node:assert/strict'
import { conformance } from './targets.ts'
import { author, ids, now } from './fixtures.ts'

const kind41Differs = 'treats kind 41 (NIP-28 channel metadata) as replaceable; NIP-01 makes 4 <= n < 45 regular: relay/CONFORMANCE.md#kind-41'

conformance('NIP-01 kinds', {}, ({ test, client }) => {
  test('regular kinds (1, 4..44, 1000..9999) are all stored', async (t) => {
    const c = await client(t)
    const a = author()
    const base = now() - 100
    const events = [1, 1, 4, 7, 7, 44, 1000, 1000, 9999].map((kind, i) => a.sign({ kind, created_at: base + i }))
    for (const e of events) assert.equal((await c.publish(e)).ok, true)
    const r = await c.req('regular', [{ authors: [a.pubkey] }])
    assert.equal(r.events.length, events.length)
  })

  test('kind 41 is regular: every version is stored', { differs: { 'third-party': kind41Differs } }, async (t) => {
    const c = await client(t)
    const a = author()
    const base = now() - 100
    // NIP-01: "1000 <= n < 10000 || 4 <= n < 45 || n == 1 || n == 2" are regular.
    const events = [41, 41, 41].map((kind, i) => a.sign({ kind, created_at: base + i }))
    for (const e of events) assert.equal((await c.publish(e)).ok, true)
    const r = await c.req('k41', [{ authors: [a.pubkey], kinds: [41] }])
    assert.equal(r.events.length, 3)
  })

  for (const kind of [0, 3, 10002]) {
    test(`replaceable kind ${kind}: only the newest per pubkey+kind is served`, async (t) => {
      const c = await client(t)
      const a = author()
      const base = now() - 100
      const older = a.sign({ kind, created_at: base, content: 'v1' })
      const newer = a.sign({ kind, created_at: base + 10, content: 'v2' })
      const stale = a.sign({ kind, created_at: base + 5, content: 'late but older' })
      assert.equal((await c.publish(older)).ok, true)
      assert.equal((await c.publish(newer)).ok, true)
      await c.publish(stale) // may be OK true or false; it must not replace the newer one
      const r = await c.req('repl', [{ authors: [a.pubkey], kinds: [kind] }])
      assert.deepEqual(ids(r.events), [newer.id])
      const other = author().sign({ kind, created_at: base })
      assert.equal((await c.publish(other)).ok, true)
      assert.equal((await c.req('repl-2', [{ kinds: [kind], authors: [a.pubkey, other.pubkey] }])).events.length, 2, 'per pubkey')
    })
  }

  test('replaceable tie on created_at: the lowest id is retained', async (t) => {
    const c = await client(t)
    const a = author()
    const ts = now() - 50
    const pair = [a.sign({ kind: 10002, created_at: ts, content: 'a' }), a.sign({ kind: 10002, created_at: ts, content: 'b' })]
    const [low, high] = pair.sort((x, y) => (x.id < y.id ? -1 : 1))
    // The higher id first, then the lower one: a relay that keeps the first arrival fails.
    await c.publish(high!)
    await c.publish(low!)
    const r = await c.req('tie', [{ authors: [a.pubkey], kinds: [10002] }])
    assert.deepEqual(ids(r.events), [low!.id])
  })

  test('addressable kinds (30000..39999): newest per pubkey+kind+d tag', async (t) => {
    const c = await client(t)
    const a = author()
    const base = now() - 100
    const d1v1 = a.sign({ kind: 30078, created_at: base, tags: [['d', 'one']], content: '1' })
    const d1v2 = a.sign({ kind: 30078, created_at: base + 1, tags: [['d', 'one']], content: '2' })
    const d2 = a.sign({ kind: 30078, created_at: base, tags: [['d', 'two']] })
    const noD = a.sign({ kind: 30078, created_at: base })
    const noDNewer = a.sign({ kind: 30078, created_at: base + 2, tags: [['d', '']] }) // missing d == empty d
    for (const e of [d1v1, d1v2, d2, noD, noDNewer]) assert.equal((await c.publish(e)).ok, true)
    const r = await c.req('addr', [{ authors: [a.pubkey], kinds: [30078] }])
    assert.deepEqual(new Set(ids(r.events)), new Set([d1v2.id, d2.id, noDNewer.id]))
    const byD = await c.req('addr-d', [{ authors: [a.pubkey], kinds: [30078], '#d': ['one'] }])
    assert.deepEqual(ids(byD.events), [d1v2.id])
  })

  test('an older addressable version sent after a newer one does not replace it', async (t) => {
    const c = await client(t)
    const a = author()
    const base = now() - 100
    const newer = a.sign({ kind: 30000, created_at: base + 5, tags: [['d', 'x']] })
    const older = a.sign({ kind: 30000, created_at: base, tags: [['d', 'x']] })
    assert.equal((await c.publish(newer)).ok, true)
    await c.publish(older)
    assert.deepEqual(ids((await c.req('addr-old', [{ authors: [a.pubkey], kinds: [30000] }])).events), [newer.id])
  })

  test('ephemeral kinds (20000..29999) are forwarded live and never stored', async (t) => {
    const sub = await client(t)
    const pub = await client(t)
    const a = author()
    await sub.req('eph', [{ authors: [a.pubkey] }])
    const e = a.sign({ kind: 20001, content: 'now or never' })
    const ok = await pub.publish(e)
    assert.equal(ok.ok, true, ok.message)
    const live = await sub.next((m) => m[0] === 'EVENT' && m[1] === 'eph')
    assert.deepEqual(live[2], e)
    const later = await pub.req('eph-later', [{ authors: [a.pubkey] }])
    assert.deepEqual(later.events, [], 'not stored')
  })
})
