// The write rules, checked on the pure plan: both stores apply it, so the SQLite-vs-memory oracle cannot catch a
// wrong rule; these cases can (NIP-01 replaceable/addressable, NIP-09 by `e` and `a`, ephemeral).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { NostrEvent } from '../../../src/protocol/event.ts'
import { eventAddress } from '../../../src/protocol/address.ts'
import { planWrite, type WriteView } from '../../../relay/store/writePlan.ts'
import { deletedReason, duplicateReason, ephemeralReason, newerReason } from '../../../relay/store/types.ts'

const A = 'a'.repeat(64)
const B = 'b'.repeat(64)
let n = 0
const ev = (over: Partial<NostrEvent> = {}): NostrEvent => ({ id: (++n).toString(16).padStart(64, '0'), pubkey: A, created_at: 100, kind: 1, tags: [], content: '', sig: '0'.repeat(128), ...over })

function viewOf(events: NostrEvent[], deletedIds: Record<string, string> = {}, deletedAddresses: Record<string, number> = {}): WriteView<NostrEvent> {
  return {
    byId: (id) => events.find((e) => e.id === id),
    atAddress: (_address, key) => events.filter((e) => eventAddress(e) === key),
    deletedBy: (id) => deletedIds[id],
    deletedUntil: (key) => deletedAddresses[key],
  }
}

const ids = (plan: ReturnType<typeof planWrite<NostrEvent>>) => (plan.action === 'store' ? plan.remove.map((e) => e.id) : plan.outcome)

describe('planWrite', () => {
  it('skips ephemeral events, duplicates and ids their author deleted', () => {
    const e = ev()
    assert.deepEqual(planWrite(ev({ kind: 20001 }), viewOf([])), { action: 'skip', outcome: { status: 'rejected', reason: ephemeralReason } })
    assert.deepEqual(planWrite(e, viewOf([e])), { action: 'skip', outcome: { status: 'duplicate', reason: duplicateReason } })
    assert.deepEqual(planWrite(e, viewOf([], { [e.id]: A })), { action: 'skip', outcome: { status: 'rejected', reason: deletedReason } })
    assert.deepEqual(planWrite(e, viewOf([], { [e.id]: B })), { action: 'store', remove: [], tombstoneIds: [], tombstoneAddresses: [] }, 'a tombstone by someone else does not count')
  })

  it('replaces older versions at an address and keeps a newer one (ties: lowest id wins)', () => {
    const old = ev({ kind: 30023, created_at: 100, tags: [['d', 'x']] })
    const other = ev({ kind: 30023, created_at: 90, tags: [['d', 'y']] })
    assert.deepEqual(ids(planWrite(ev({ kind: 30023, created_at: 101, tags: [['d', 'x']] }), viewOf([old, other]))), [old.id])
    assert.deepEqual(ids(planWrite(ev({ kind: 30023, created_at: 99, tags: [['d', 'x']] }), viewOf([old]))), { status: 'duplicate', reason: newerReason })
    const tieLow = { ...ev({ kind: 0, created_at: 5 }), id: '0'.repeat(64) }
    const tieHigh = { ...ev({ kind: 0, created_at: 5 }), id: 'f'.repeat(64) }
    assert.deepEqual(ids(planWrite(tieHigh, viewOf([tieLow]))), { status: 'duplicate', reason: newerReason })
    assert.deepEqual(ids(planWrite(tieLow, viewOf([tieHigh]))), [tieHigh.id])
    assert.deepEqual(ids(planWrite(ev({ kind: 10002, created_at: 100 }), viewOf([], {}, { [`10002:${A}:`]: 100 }))), { status: 'rejected', reason: deletedReason })
    assert.equal(planWrite(ev({ kind: 10002, created_at: 101 }), viewOf([], {}, { [`10002:${A}:`]: 100 })).action, 'store')
  })

  it('NIP-09 by e tag: removes the author\'s targets, never deletions, and tombstones unseen ids', () => {
    const mine = ev()
    const theirs = ev({ pubkey: B })
    const myDeletion = ev({ kind: 5 })
    const unseen = 'c'.repeat(64)
    const plan = planWrite(ev({ kind: 5, tags: [['e', mine.id], ['e', theirs.id], ['e', myDeletion.id], ['e', unseen]] }), viewOf([mine, theirs, myDeletion]))
    assert.deepEqual(plan, {
      action: 'store',
      remove: [mine],
      tombstoneIds: [{ id: mine.id, pubkey: A }, { id: myDeletion.id, pubkey: A }, { id: unseen, pubkey: A }],
      tombstoneAddresses: [],
    })
  })

  it('NIP-09 by a tag: only its own addresses, versions up to its created_at, tombstone keeps the maximum', () => {
    const v = ev({ kind: 30023, created_at: 100, tags: [['d', 'p']] })
    const later = ev({ kind: 30023, created_at: 120, tags: [['d', 'q']] })
    const theirs = ev({ kind: 30023, pubkey: B, created_at: 100, tags: [['d', 'p']] })
    const deletion = ev({ kind: 5, created_at: 110, tags: [['a', `30023:${A}:p`], ['a', `30023:${A}:q`], ['a', `30023:${B}:p`]] })
    assert.deepEqual(planWrite(deletion, viewOf([v, later, theirs], {}, { [`30023:${A}:q`]: 200 })), {
      action: 'store',
      remove: [v],
      tombstoneIds: [],
      tombstoneAddresses: [
        { key: `30023:${A}:p`, until: 110 },
        { key: `30023:${A}:q`, until: 200 },
      ],
    })
  })
})
