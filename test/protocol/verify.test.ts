// Event verifiers are objects, one per owner: what one remembers (or which Schnorr backend it uses) never
// changes how another, or the parsers' default, behaves.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { isAuthentic, validateEvent, type NostrEvent } from '../../src/protocol/event.ts'
import * as kinds from '../../src/protocol/kinds.ts'
import { createEventVerifier, defaultEventVerifier, loadWasmEventVerifier, verifySignatureNoble } from '../../src/protocol/verify.ts'
import { fixedNow } from '../helpers/keys.ts'
import { getEventHash } from 'nostr-tools/pure'
import { eventHashNode } from '../../src/crypto/eventHashNode.ts'
import { createFastEventVerifier } from '../../src/schnorr/fastest.ts'

const vectors = JSON.parse(readFileSync(new URL('../vectors/events.json', import.meta.url), 'utf8'))
const copy = (): NostrEvent => structuredClone(vectors.capability as NostrEvent)

/** A verifier that counts its Schnorr checks. */
function counting(cacheSize?: number) {
  const calls = { n: 0 }
  const verifier = createEventVerifier({
    cacheSize,
    verifySignature: (e) => {
      calls.n++
      return verifySignatureNoble(e)
    },
  })
  return { verifier, calls }
}

describe('event verifiers', () => {
  test('each remembers what it verified, and nothing of another', () => {
    const a = counting()
    const b = counting()
    const event = copy()
    assert.ok(validateEvent(event, kinds.Capability, { now: fixedNow, verify: a.verifier }).ok)
    assert.ok(validateEvent(event, kinds.Capability, { now: fixedNow, verify: a.verifier }).ok)
    assert.ok(validateEvent(copy(), kinds.Capability, { now: fixedNow, verify: a.verifier }).ok, 'same (id, sig) in a new object')
    assert.equal(a.calls.n, 1, 'one Schnorr check for the same event, however often it is seen')
    assert.equal(a.verifier.passed(event), true)
    assert.equal(b.verifier.passed(event), false)
    assert.equal(defaultEventVerifier.passed(event), false)
    assert.ok(validateEvent(event, kinds.Capability, { now: fixedNow, verify: b.verifier }).ok)
    assert.equal(b.calls.n, 1, 'another verifier checks for itself')
  })

  test('a verifier of size 0 and the default remember nothing', () => {
    const none = counting(0)
    const event = copy()
    for (let i = 0; i < 3; i++) assert.ok(validateEvent(event, kinds.Capability, { now: fixedNow, verify: none.verifier }).ok)
    assert.equal(none.calls.n, 3)
    assert.ok(validateEvent(event, kinds.Capability, { now: fixedNow }).ok)
    assert.equal(defaultEventVerifier.passed(event), false)
  })

  test('a deferred check marks nothing; isAuthentic with the same verifier does, and the parser then skips the work', () => {
    const a = counting()
    const event = copy()
    assert.ok(validateEvent(event, kinds.Capability, { now: fixedNow, verify: a.verifier, deferSignature: true }).ok)
    assert.equal(a.calls.n, 0)
    assert.equal(a.verifier.passed(event), false)
    assert.equal(isAuthentic(event, a.verifier), true)
    assert.ok(validateEvent(event, kinds.Capability, { now: fixedNow, verify: a.verifier }).ok)
    assert.equal(a.calls.n, 1)
    const badSig = { ...copy(), sig: event.sig.slice(0, -2) + (event.sig.endsWith('00') ? '01' : '00') }
    assert.equal(isAuthentic(badSig, a.verifier), false)
    const r = validateEvent(badSig, kinds.Capability, { now: fixedNow, verify: a.verifier })
    assert.ok(!r.ok && r.code === 'bad-signature' && r.reason === 'invalid: signature does not verify against pubkey')
  })

  test('loading libsecp256k1 gives a new verifier and leaves the default on @noble/curves', async () => {
    const wasm = await loadWasmEventVerifier()
    assert.notEqual(wasm.verifySignature, verifySignatureNoble)
    assert.equal(defaultEventVerifier.verifySignature, verifySignatureNoble)
    const event = copy()
    assert.ok(validateEvent(event, kinds.Capability, { now: fixedNow, verify: wasm }).ok)
    const badSig = { ...copy(), sig: event.sig.slice(0, -2) + (event.sig.endsWith('00') ? '01' : '00') }
    assert.equal(isAuthentic(badSig, wasm), false)
    assert.equal(defaultEventVerifier.passed(event), false)
  })
})

describe('event ids on node:crypto', () => {
  const events = Object.values(vectors).filter((v): v is NostrEvent => typeof v === 'object' && v !== null && typeof (v as NostrEvent).id === 'string')

  test('eventHashNode is nostr-tools getEventHash, byte for byte: every vector, unicode, escapes, large content', () => {
    assert.ok(events.length > 10, 'the vectors hold signed events')
    for (const e of events) assert.equal(eventHashNode(e), e.id)
    const odd = { pubkey: 'a'.repeat(64), created_at: 1_764_000_000, kind: 1, tags: [['t', 'é\u2028"\\'], []], content: `🦀 \u0000\n\t"${'x'.repeat(70_000)}` }
    assert.equal(eventHashNode(odd), getEventHash(odd))
  })

  test('a verifier checking ids with it refuses a changed event as bad-id, and passes the original', async () => {
    const verifier = createEventVerifier({ hashEvent: eventHashNode, cacheSize: 0 })
    assert.equal(verifier.check(copy()), undefined)
    assert.equal(verifier.check({ ...copy(), content: `${copy().content} ` }), 'bad-id')
    assert.equal(verifier.check({ ...copy(), created_at: 'x' as unknown as number }), 'bad-id', 'a wrong type hashes to another id, no throw')
    const fast = await createFastEventVerifier({ onFallback: () => {} })
    assert.equal(fast.hashEvent, eventHashNode)
    assert.equal(validateEvent({ ...copy(), tags: [] }, kinds.Capability, { now: fixedNow, verify: fast, deferSignature: true }).ok, false)
  })
})
