// NIP-40 expiration timestamps.
import assert from 'node:assert/strict'
import { conformance } from './targets.ts'
import { author, now, prefixOf, sleep, standardPrefixes } from './fixtures.ts'

const prefixDiffers = 'answers an expired event with the non-standard prefix "reject:"; NIP-01 standardizes duplicate, pow, blocked, rate-limited, invalid, error: relay/CONFORMANCE.md#ok-prefixes'
const serveDiffers = 'serves stored events after their expiration; NIP-40: relays SHOULD NOT send expired events to clients, even if they are stored: relay/CONFORMANCE.md#nip-40-serving-expired'

conformance('NIP-40 expiration', {}, ({ test, client }) => {
  test('an event that is already expired is refused and not stored', async (t) => {
    const c = await client(t)
    const a = author()
    const e = a.sign({ created_at: now() - 100, tags: [['expiration', String(now() - 10)]] })
    const ok = await c.publish(e)
    assert.equal(ok.ok, false)
    assert.deepEqual((await c.req('expired', [{ authors: [a.pubkey] }])).events, [])
  })

  test('the refusal of an expired event uses a standard prefix', { differs: { 'third-party': prefixDiffers } }, async (t) => {
    const c = await client(t)
    const ok = await c.publish(author().sign({ tags: [['expiration', String(now() - 10)]] }))
    assert.equal(ok.ok, false)
    assert.ok(standardPrefixes.includes(prefixOf(ok.message) ?? ''), ok.message)
  })

  test('an event is served until its expiration and not after', { differs: { 'third-party': serveDiffers } }, async (t) => {
    const c = await client(t)
    const a = author()
    // 3 s of validity: "at or before now" counts as expired, so +1 could expire before the first REQ on a slow machine.
    const expiration = now() + 3
    const e = a.sign({ tags: [['expiration', String(expiration)]] })
    const forever = a.sign({ content: 'no expiration' })
    assert.equal((await c.publish(e)).ok, true)
    assert.equal((await c.publish(forever)).ok, true)
    assert.equal((await c.req('before', [{ authors: [a.pubkey] }])).events.length, 2)
    await sleep((expiration + 1) * 1000 - Date.now() + 50)
    const after = await c.req('after', [{ authors: [a.pubkey] }])
    assert.deepEqual(after.events.map((x) => x.id), [forever.id])
  })
})
