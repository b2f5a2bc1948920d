import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { compareEvents, isEmptyFilter, matchFilter, parseFilter } from '../../../relay/filters.ts'
import { powDifficulty } from '../../../relay/policies/access.ts'
import { eventAddress } from '../../../src/protocol/address.ts'
import { kindClass } from '../../../src/protocol/kinds.ts'
import { deletionTargets } from '../../../src/protocol/nip09.ts'
import { parseClientMessage } from '../../../relay/messages.ts'
import type { NostrEvent } from '../../../src/protocol/event.ts'

const A = 'a'.repeat(64)
const B = 'b'.repeat(64)
const ev = (over: Partial<NostrEvent> = {}): NostrEvent => ({ id: '1'.repeat(64), pubkey: A, created_at: 100, kind: 1, tags: [], content: '', sig: '0'.repeat(128), ...over })

describe('parseFilter', () => {
  it('accepts the NIP-01 keys and single-letter tags', () => {
    const r = parseFilter({ ids: [A], authors: [B], kinds: [1, 30000], since: 1, until: 2, limit: 3, '#e': [A], '#T': ['x'], search: 'ignored' })
    assert.deepEqual(r, { ok: true, filter: { ids: [A], authors: [B], kinds: [1, 30000], since: 1, until: 2, limit: 3, tags: { e: [A], T: ['x'] } } })
  })
  it('rejects wrong shapes with an invalid: reason', () => {
    for (const bad of [[], null, 'x', { ids: ['xyz'] }, { authors: [A.toUpperCase()] }, { kinds: [-1] }, { kinds: ['1'] }, { since: 1.5 }, { limit: -1 }, { '#e': [1] }, { '#long': ['x'] }]) {
      const r = parseFilter(bad)
      assert.equal(r.ok, false, JSON.stringify(bad))
      if (!r.ok) assert.match(r.reason, /^invalid: /)
    }
  })
})

describe('matchFilter', () => {
  it('matches every condition and ANDs tag names, ORs values', () => {
    const e = ev({ tags: [['e', A], ['p', B], ['t', 'x', 'extra']] })
    assert.ok(matchFilter({}, e))
    assert.ok(matchFilter({ ids: [e.id], authors: [A], kinds: [1], since: 100, until: 100 }, e))
    assert.ok(!matchFilter({ ids: [B] }, e))
    assert.ok(!matchFilter({ authors: [B] }, e))
    assert.ok(!matchFilter({ kinds: [2] }, e))
    assert.ok(!matchFilter({ since: 101 }, e))
    assert.ok(!matchFilter({ until: 99 }, e))
    assert.ok(matchFilter({ tags: { e: [B, A], t: ['x'] } }, e))
    assert.ok(!matchFilter({ tags: { e: [A], t: ['y'] } }, e))
    assert.ok(!matchFilter({ tags: { x: ['extra'] } }, e), 'only the first value of a tag is indexed')
  })
  it('orders newest first, then lowest id', () => {
    const list = [ev({ id: 'c'.repeat(64), created_at: 5 }), ev({ id: 'b'.repeat(64), created_at: 6 }), ev({ id: 'a'.repeat(64), created_at: 5 })]
    assert.deepEqual(list.sort(compareEvents).map((e) => e.id[0]), ['b', 'a', 'c'])
  })
  it('knows empty filters', () => {
    assert.ok(isEmptyFilter({ ids: [] }))
    assert.ok(isEmptyFilter({ since: 5, until: 4 }))
    assert.ok(isEmptyFilter({ limit: 0 }))
    assert.ok(!isEmptyFilter({ kinds: [1] }))
  })
})

describe('kind helpers', () => {
  it('classifies kinds and addresses', () => {
    assert.deepEqual([0, 1, 3, 5, 10002, 20001, 30023, 40000].map(kindClass), [
      'replaceable', 'regular', 'replaceable', 'regular', 'replaceable', 'ephemeral', 'addressable', 'regular',
    ])
    assert.equal(eventAddress(ev({ kind: 30023, tags: [['d', 'x']] })), `30023:${A}:x`)
    assert.equal(eventAddress(ev({ kind: 0 })), `0:${A}:`)
    assert.equal(eventAddress(ev({ kind: 1 })), undefined)
  })
  it('counts PoW bits and reads deletion targets', () => {
    assert.equal(powDifficulty('000f' + 'f'.repeat(60)), 12)
    assert.equal(powDifficulty('1' + '0'.repeat(63)), 3)
    assert.deepEqual(deletionTargets(ev({ tags: [['e', A], ['e', 'nothex'], ['a', `30023:${B}:d`], ['p', A]] })), { ids: [A], addresses: [`30023:${B}:d`] })
  })
})

describe('parseClientMessage', () => {
  const opts = { maxFilters: 2, maxSubIdLength: 8 }
  it('parses each verb', () => {
    assert.deepEqual(parseClientMessage('["REQ","s",{"kinds":[1]}]', opts), { type: 'req', subId: 's', filters: [{ kinds: [1] }] })
    assert.deepEqual(parseClientMessage('["CLOSE","s"]', opts), { type: 'close', subId: 's' })
    assert.equal(parseClientMessage('["EVENT",{}]', opts).type, 'event')
    assert.equal(parseClientMessage('["COUNT","c",{}]', opts).type, 'count')
  })
  it('turns bad input into invalid messages that keep the sub id when it is usable', () => {
    assert.deepEqual(parseClientMessage('{', opts), { type: 'invalid', reason: 'invalid: message is not valid JSON' })
    assert.equal(parseClientMessage('{"a":1}', opts).type, 'invalid')
    assert.equal(parseClientMessage('["NOPE"]', opts).type, 'invalid')
    const tooMany = parseClientMessage('["REQ","s",{},{},{}]', opts)
    assert.equal(tooMany.type === 'invalid' && tooMany.subId, 's')
    const badFilter = parseClientMessage('["REQ","s",{"ids":["x"]}]', opts)
    assert.equal(badFilter.type === 'invalid' && badFilter.verb, 'REQ')
    assert.equal(parseClientMessage('["REQ","much-too-long",{}]', opts).type, 'invalid')
    assert.equal(parseClientMessage('["REQ",5,{}]', opts).type, 'invalid')
  })
})
