// NIP-42 authentication and NIP-70 protected events.
import assert from 'node:assert/strict'
import type { NostrClient } from '../../helpers/nostrClient.ts'
import { conformance } from './targets.ts'
import { author, now, prefixOf, type Author } from './fixtures.ts'

const protectedDiffers = 'accepts events carrying ["-"] from anyone; NIP-70: the default behavior of a relay MUST be to reject any event that contains ["-"]: relay/CONFORMANCE.md#nip-70-protected-events'

/** The challenge the relay sent on this connection (at connect, or with an auth-required refusal). */
async function challengeOf(c: NostrClient): Promise<string> {
  if (c.challenge) return c.challenge
  const m = await c.next((x) => x[0] === 'AUTH')
  return m[1] as string
}

function authEvent(a: Author, challenge: string, relayUrl: string, overrides: { kind?: number; created_at?: number } = {}) {
  return a.sign({ kind: 22242, tags: [['relay', relayUrl], ['challenge', challenge]], content: '', ...overrides })
}

conformance('NIP-42 kind 22242', {}, ({ test, client }) => {
  test('kind 22242 events are never broadcast or stored', async (t) => {
    const watcher = await client(t)
    const sender = await client(t)
    const a = author()
    await watcher.req('auth-watch', [{ kinds: [22242] }, { authors: [a.pubkey] }])
    sender.send(['EVENT', a.sign({ kind: 22242, tags: [['relay', 'ws://x'], ['challenge', 'c']] })])
    await sender.next((m) => m[0] === 'OK' || m[0] === 'NOTICE')
    assert.equal(await watcher.none((m) => m[0] === 'EVENT' && m[1] === 'auth-watch', 200), true)
    assert.deepEqual((await sender.req('auth-stored', [{ authors: [a.pubkey] }])).events, [])
  })
})

conformance('NIP-70 protected events (default policy)', {}, ({ test, client }) => {
  test('an event with ["-"] from an unauthenticated connection is refused', { differs: { 'third-party': protectedDiffers } }, async (t) => {
    const c = await client(t)
    const a = author()
    const ok = await c.publish(a.sign({ tags: [['-']] }))
    assert.equal(ok.ok, false)
    assert.ok(['auth-required', 'blocked', 'restricted'].includes(prefixOf(ok.message) ?? ''), ok.message)
    assert.deepEqual((await c.req('prot', [{ authors: [a.pubkey] }])).events, [])
  })
})

conformance('NIP-42 AUTH', { only: ['ours'], config: { authRequiredToWrite: true, authRequiredKinds: [4] } }, ({ test, client, url }) => {
  test('EVENT before AUTH is refused with auth-required:, and accepted after AUTH', async (t) => {
    const c = await client(t)
    const a = author()
    const e = a.sign()
    const refused = await c.publish(e)
    assert.equal(refused.ok, false)
    assert.equal(prefixOf(refused.message), 'auth-required', refused.message)
    const challenge = await challengeOf(c)
    const auth = await c.auth(authEvent(a, challenge, url()))
    assert.equal(auth.ok, true, auth.message)
    assert.equal((await c.publish(e)).ok, true)
  })

  test('REQ for an auth-only kind gets CLOSED auth-required: before AUTH and EOSE after', async (t) => {
    const c = await client(t)
    const a = author()
    const r = await c.req('dm', [{ kinds: [4] }])
    assert.equal(r.eose, false)
    assert.equal(prefixOf(r.closed ?? ''), 'auth-required', r.closed)
    assert.equal((await c.auth(authEvent(a, await challengeOf(c), url()))).ok, true)
    assert.equal((await c.req('dm', [{ kinds: [4] }])).eose, true)
  })

  test('AUTH events that fail verification get OK false', async (t) => {
    const c = await client(t)
    const a = author()
    const challenge = await challengeOf(c)
    const cases = [
      authEvent(a, 'wrong-challenge', url()),
      authEvent(a, challenge, url(), { kind: 1 }),
      authEvent(a, challenge, url(), { created_at: now() - 3600 }),
      authEvent(a, challenge, 'wss://some-other-relay.example'),
      { ...authEvent(a, challenge, url()), sig: author().sign().sig },
    ]
    for (const event of cases) {
      const ok = await c.auth(event)
      assert.equal(ok.ok, false, JSON.stringify(event.tags))
      assert.ok(prefixOf(ok.message), ok.message)
    }
    const still = await c.publish(a.sign())
    assert.equal(prefixOf(still.message), 'auth-required', 'none of them authenticated the connection')
  })

  test('a challenge belongs to its connection', async (t) => {
    const c1 = await client(t)
    const c2 = await client(t)
    const a = author()
    await c1.publish(a.sign()) // make sure both have a challenge to hand
    await c2.publish(a.sign())
    const ch1 = await challengeOf(c1)
    const ch2 = await challengeOf(c2)
    assert.notEqual(ch1, ch2)
    assert.equal((await c2.auth(authEvent(a, ch1, url()))).ok, false)
  })
})

conformance('NIP-70 protected events with AUTH', { only: ['ours'] }, ({ test, client, url }) => {
  test('accepted from its authenticated author, refused with restricted: from another key', async (t) => {
    const c = await client(t)
    const a = author()
    const other = author()
    const e = a.sign({ tags: [['-']] })
    const first = await c.publish(e)
    assert.equal(prefixOf(first.message), 'auth-required', first.message)
    const challenge = await challengeOf(c)
    assert.equal((await c.auth(authEvent(other, challenge, url()))).ok, true)
    const wrongKey = await c.publish(e)
    assert.equal(wrongKey.ok, false)
    assert.equal(prefixOf(wrongKey.message), 'restricted', wrongKey.message)
    assert.equal((await c.auth(authEvent(a, challenge, url()))).ok, true)
    const ok = await c.publish(e)
    assert.equal(ok.ok, true, ok.message)
    assert.deepEqual((await c.req('prot-ok', [{ ids: [e.id] }])).events.map((x) => x.id), [e.id])
  })
})
