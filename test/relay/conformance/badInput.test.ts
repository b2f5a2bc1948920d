// Bad input: malformed JSON, wrong array shapes, bad hex, bad ids and signatures, huge messages. Each gets a
// refusal, nothing invalid is stored, and the relay keeps serving this and other connections.
import assert from 'node:assert/strict'
import type { RelayMessage } from '../../helpers/nostrClient.ts'
import { connect } from '../../helpers/nostrClient.ts'
import { conformance } from './targets.ts'
import { author, prefixOf, randomHex64, standardPrefixes } from './fixtures.ts'

const okDiffers = 'answers an EVENT that fails its schema with a NOTICE and no OK; NIP-01: OK messages MUST be sent in response to EVENT messages: relay/CONFORMANCE.md#ok-for-every-event'

const isRefusal = (m: RelayMessage) => m[0] === 'NOTICE' || m[0] === 'CLOSED' || (m[0] === 'OK' && m[2] === false)

conformance('bad input', {}, ({ test, client, url }) => {
  test('malformed JSON gets a NOTICE and the connection stays usable', async (t) => {
    const c = await client(t)
    c.sendRaw('["EVENT", {"id": ')
    assert.equal((await c.next((m) => m[0] === 'NOTICE'))[0], 'NOTICE')
    c.sendRaw('not json at all')
    await c.next((m) => m[0] === 'NOTICE')
    assert.deepEqual(await c.req('alive', [{ authors: [author().pubkey] }]), { events: [], eose: true })
  })

  const shapes: [string, unknown][] = [
    ['a JSON object', { type: 'EVENT' }],
    ['an empty array', []],
    ['a number as the type', [1, 2]],
    ['EVENT without an event', ['EVENT']],
    ['EVENT with a string', ['EVENT', 'event']],
    ['REQ without a subscription id', ['REQ']],
    ['REQ with a non-object filter', ['REQ', 'shape', 'filter']],
    ['REQ with a numeric subscription id', ['REQ', 42, {}]],
    ['CLOSE without a subscription id', ['CLOSE']],
  ]
  for (const [name, message] of shapes) {
    test(`wrong shape (${name}) is refused, never answered with EOSE`, async (t) => {
      const c = await client(t)
      c.send(message)
      const m = await c.next((x) => isRefusal(x) || x[0] === 'EOSE')
      assert.notEqual(m[0], 'EOSE')
      if (m[0] !== 'NOTICE') assert.ok(standardPrefixes.includes(prefixOf(m[m.length - 1] as string) ?? ''), JSON.stringify(m))
      assert.deepEqual(await c.req('alive', [{ authors: [author().pubkey] }]), { events: [], eose: true })
    })
  }

  test('an event with a non-hex id is refused and not stored', async (t) => {
    const c = await client(t)
    const a = author()
    const e = { ...a.sign(), id: 'z'.repeat(64) }
    c.send(['EVENT', e])
    const m = await c.next(isRefusal)
    if (m[0] === 'OK') assert.equal(prefixOf(m[3] as string), 'invalid')
    assert.deepEqual((await c.req('nonhex', [{ authors: [a.pubkey] }])).events, [])
  })

  test('an event whose id does not match its content is refused with invalid:', async (t) => {
    const c = await client(t)
    const a = author()
    const e = { ...a.sign({ content: 'signed' }), content: 'tampered' }
    const ok = await c.publish(e)
    assert.equal(ok.ok, false)
    assert.equal(prefixOf(ok.message), 'invalid', ok.message)
    assert.deepEqual((await c.req('tampered', [{ authors: [a.pubkey] }])).events, [])
  })

  test('an event signed by another key is refused with invalid:', async (t) => {
    const c = await client(t)
    const a = author()
    const b = author()
    const e = { ...a.sign(), sig: b.sign().sig }
    const ok = await c.publish(e)
    assert.equal(ok.ok, false)
    assert.equal(prefixOf(ok.message), 'invalid', ok.message)
  })

  test('an EVENT with a malformed field still gets ["OK", id, false, "invalid: ..."]', { differs: { 'third-party': okDiffers } }, async (t) => {
    const c = await client(t)
    const a = author()
    const e = { ...a.sign(), sig: 'not-a-signature' }
    const ok = await c.publish(e)
    assert.equal(ok.ok, false)
    assert.equal(prefixOf(ok.message), 'invalid', ok.message)
  })

  test('events with non-string tag values or a missing field are refused and not stored', async (t) => {
    const c = await client(t)
    const a = author()
    const good = a.sign()
    const { sig: _sig, ...noSig } = good
    for (const bad of [{ ...good, tags: [['e', 1]] }, noSig, { ...good, kind: '1' }, { ...good, created_at: 'now' }]) {
      c.send(['EVENT', bad])
      await c.next(isRefusal)
    }
    assert.deepEqual((await c.req('bad-fields', [{ authors: [a.pubkey] }])).events, [])
  })

  test('a REQ filter with non-hex ids or authors is refused or matches nothing', async (t) => {
    const c = await client(t)
    c.send(['REQ', 'hex', { ids: ['XYZ'] }, { authors: ['not-hex'] }])
    const m = await c.next((x) => isRefusal(x) || (x[0] === 'EOSE' && x[1] === 'hex') || (x[0] === 'EVENT' && x[1] === 'hex'))
    assert.notEqual(m[0], 'EVENT')
  })

  test('a 2 MiB message is refused without storing it, and the relay keeps serving', async (t) => {
    const c = await client(t)
    const a = author()
    const huge = a.sign({ content: 'x'.repeat(2 * 1024 * 1024) })
    c.send(['EVENT', huge])
    // Either a refusal on the socket or the socket closed (1009 message too big): both are acceptable.
    const refusal = await Promise.any([c.next(isRefusal, 5000).then(() => 'refused'), c.waitClosed(5000).then(() => 'closed')])
    assert.ok(refusal === 'refused' || refusal === 'closed')
    const fresh = await connect(url())
    t.after(() => fresh.close())
    assert.deepEqual((await fresh.req('huge', [{ authors: [a.pubkey] }])).events, [])
  })

  test('one misbehaving connection does not affect another', async (t) => {
    const bad = await client(t)
    const good = await client(t)
    const a = author()
    await good.req('watch', [{ authors: [a.pubkey] }])
    for (let i = 0; i < 20; i++) bad.sendRaw(i % 2 ? '[[[' : JSON.stringify(['EVENT', { id: randomHex64() }]))
    const e = a.sign()
    assert.equal((await good.publish(e)).ok, true)
    assert.deepEqual((await good.next((m) => m[0] === 'EVENT' && m[1] === 'watch'))[2], e)
  })
})
