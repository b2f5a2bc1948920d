// NIP-11 relay information, NIP-13 minimum proof of work and the announced limits. The third-party relay has no
// NIP-11 document, PoW or configurable limits in its default wiring, so these run against ours only.
import assert from 'node:assert/strict'
import type { Event as NostrEvent } from 'nostr-tools'
import { finalizeEvent, getEventHash } from 'nostr-tools/pure'
import type { RelayConfig } from '../../../relay/config.ts'
import { conformance } from './targets.ts'
import { author, now, prefixOf, type Author } from './fixtures.ts'

const config: Partial<RelayConfig> = {
  maxMessageBytes: 8192,
  maxSubscriptions: 3,
  maxFilters: 2,
  maxLimit: 5,
  maxSubIdLength: 64,
  maxEventTags: 3,
  maxContentLength: 100,
  createdAtFutureSeconds: 60,
  eventsPerSecondPerConnection: 5,
  eventBurstPerConnection: 5,
  minPowDifficulty: 8,
  name: 'conformance-relay',
}

/** NIP-13 difficulty: leading zero bits of the id. */
function leadingZeroBits(hex: string): number {
  let bits = 0
  for (const ch of hex) {
    const n = parseInt(ch, 16)
    if (n === 0) {
      bits += 4
      continue
    }
    return bits + Math.clz32(n) - 28
  }
  return bits
}

/** Mines a nonce tag (NIP-13) committing to `target`, then signs. */
function mine(a: Author, target: number, template: { content?: string; tags?: string[][]; created_at?: number } = {}): NostrEvent {
  const base = { kind: 1, created_at: template.created_at ?? now(), content: template.content ?? '', pubkey: a.pubkey }
  for (let nonce = 0; ; nonce++) {
    const tags = [...(template.tags ?? []), ['nonce', String(nonce), String(target)]]
    const id = getEventHash({ ...base, tags })
    if (leadingZeroBits(id) >= target) {
      return JSON.parse(JSON.stringify(finalizeEvent({ kind: base.kind, created_at: base.created_at, content: base.content, tags }, a.sk))) as NostrEvent
    }
  }
}

conformance('NIP-11 and limits', { only: ['ours'], config }, ({ test, client, url }) => {
  test('NIP-11: GET with Accept: application/nostr+json returns the document with CORS headers', async () => {
    const res = await fetch(url().replace(/^ws/, 'http'), { headers: { accept: 'application/nostr+json' } })
    assert.equal(res.status, 200)
    assert.ok(res.headers.get('access-control-allow-origin'))
    assert.ok(res.headers.get('access-control-allow-headers'))
    assert.ok(res.headers.get('access-control-allow-methods'))
    const doc = (await res.json()) as { name?: string; supported_nips?: number[]; limitation?: Record<string, unknown> }
    assert.equal(doc.name, 'conformance-relay')
    for (const nip of [1, 9, 11, 13, 40, 42, 45, 70]) assert.ok(doc.supported_nips?.includes(nip), `supported_nips has ${nip}`)
    assert.deepEqual(
      {
        max_message_length: doc.limitation?.max_message_length,
        max_subscriptions: doc.limitation?.max_subscriptions,
        max_filters: doc.limitation?.max_filters,
        max_limit: doc.limitation?.max_limit,
        max_subid_length: doc.limitation?.max_subid_length,
        max_event_tags: doc.limitation?.max_event_tags,
        max_content_length: doc.limitation?.max_content_length,
        min_pow_difficulty: doc.limitation?.min_pow_difficulty,
      },
      { max_message_length: 8192, max_subscriptions: 3, max_filters: 2, max_limit: 5, max_subid_length: 64, max_event_tags: 3, max_content_length: 100, min_pow_difficulty: 8 },
    )
  })

  test('NIP-13: an event below min_pow_difficulty gets OK false pow:, a mined one is accepted', async (t) => {
    const c = await client(t)
    const a = author()
    let weak = a.sign()
    while (leadingZeroBits(weak.id) >= 8) weak = a.sign({ content: String(Math.random()) })
    const refused = await c.publish(weak)
    assert.equal(refused.ok, false)
    assert.equal(prefixOf(refused.message), 'pow', refused.message)
    const mined = mine(a, 8, { content: 'mined' })
    const ok = await c.publish(mined)
    assert.equal(ok.ok, true, ok.message)
  })

  test('max_event_tags, max_content_length and created_at in the future are refused with invalid:', async (t) => {
    const c = await client(t)
    const a = author()
    const tooManyTags = mine(a, 8, { tags: [['t', '1'], ['t', '2'], ['t', '3']] }) // 3 + nonce = 4 tags
    const tooLong = mine(a, 8, { content: 'x'.repeat(101) })
    const future = mine(a, 8, { created_at: now() + 3600 })
    for (const e of [tooManyTags, tooLong, future]) {
      const ok = await c.publish(e)
      assert.equal(ok.ok, false, e.content.slice(0, 10))
      assert.equal(prefixOf(ok.message), 'invalid', ok.message)
    }
    assert.deepEqual((await c.req('limits', [{ authors: [a.pubkey] }])).events, [])
  })

  test('max_message_length: a larger message is refused and the connection stays usable', async (t) => {
    const c = await client(t)
    const a = author()
    c.send(['EVENT', a.sign({ content: 'y'.repeat(9000) })])
    const m = await c.next((x) => x[0] === 'NOTICE' || (x[0] === 'OK' && x[2] === false))
    assert.ok(m[0] === 'NOTICE' || prefixOf(m[3] as string) === 'invalid', JSON.stringify(m))
    assert.equal((await c.req('alive', [{ authors: [a.pubkey] }])).eose, true)
  })

  test('max_subscriptions: one REQ too many gets CLOSED with a prefix; CLOSE frees a slot', async (t) => {
    const c = await client(t)
    const who = author().pubkey
    for (const id of ['s1', 's2', 's3']) assert.equal((await c.req(id, [{ authors: [who] }])).eose, true)
    const fourth = await c.req('s4', [{ authors: [who] }])
    assert.equal(fourth.eose, false)
    assert.ok(prefixOf(fourth.closed ?? ''), fourth.closed)
    assert.equal((await c.req('s1', [{ authors: [who], kinds: [1] }])).eose, true, 'replacing an open id is not a new subscription')
    c.send(['CLOSE', 's2'])
    assert.equal((await c.req('s5', [{ authors: [who] }])).eose, true)
  })

  test('max_filters: a REQ with too many filters gets CLOSED', async (t) => {
    const c = await client(t)
    const r = await c.req('filters', [{ kinds: [1] }, { kinds: [2] }, { kinds: [3] }])
    assert.equal(r.eose, false)
    assert.ok(prefixOf(r.closed ?? ''), r.closed)
  })

  test('max_subid_length: a 65-character subscription id is refused', async (t) => {
    const c = await client(t)
    const id = 'x'.repeat(65)
    c.send(['REQ', id, { kinds: [1], limit: 1 }])
    const m = await c.next((x) => x[0] === 'NOTICE' || x[0] === 'CLOSED' || x[0] === 'EOSE')
    assert.notEqual(m[0], 'EOSE')
  })

  test('max_limit: a larger limit is clamped', async (t) => {
    const c = await client(t)
    const a = author()
    const base = now() - 100
    for (let i = 0; i < 5; i++) await c.publish(mine(a, 8, { created_at: base + i }))
    // New connection: the rate-limit bucket of the first one is drained by now.
    const c2 = await client(t)
    for (let i = 5; i < 8; i++) await c2.publish(mine(a, 8, { created_at: base + i }))
    const r = await c2.req('clamp', [{ authors: [a.pubkey], limit: 100 }])
    assert.equal(r.events.length, 5)
    assert.equal(r.events[0]!.created_at, base + 7, 'the newest ones')
  })

  test('per-connection event rate limit answers rate-limited:', async (t) => {
    const c = await client(t)
    const a = author()
    // 30 at once against a bucket of 5 (refilling 5/s): none refused would take the relay 5 s to read them.
    const events = Array.from({ length: 30 }, (_, i) => mine(a, 8, { content: `burst ${i}` }))
    for (const e of events) c.send(['EVENT', e])
    const oks = await Promise.all(events.map((e) => c.next((m) => m[0] === 'OK' && m[1] === e.id)))
    const limited = oks.filter((m) => m[2] === false)
    assert.ok(limited.length >= 1, 'some of 30 events sent at once exceed a burst of 5')
    for (const m of limited) assert.equal(prefixOf(m[3] as string), 'rate-limited', String(m[3]))
  })
})
