import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Scheduler } from '../../../node/jobs/scheduler.ts'

test('scheduler: runs up to the slots, queues up to the bound, then busy; release hands out queued jobs in order', () => {
  const s = new Scheduler<{ id: string }>(2, 2)
  assert.deepEqual(s.admit({ id: 'a' }), { kind: 'run' })
  assert.deepEqual(s.admit({ id: 'b' }), { kind: 'run' })
  assert.deepEqual(s.admit({ id: 'c' }), { kind: 'queued', position: 1 })
  assert.deepEqual(s.admit({ id: 'd' }), { kind: 'queued', position: 2 })
  assert.deepEqual(s.admit({ id: 'e' }), { kind: 'busy' })
  assert.equal(s.freeSlots, 0)
  // a queued job that goes away frees its place without taking a slot
  assert.deepEqual(s.release('d'), [])
  assert.equal(s.isQueued('d'), false)
  assert.deepEqual(s.release('a').map((j) => j.id), ['c'])
  assert.deepEqual([...s.running.keys()].sort(), ['b', 'c'])
  assert.deepEqual(s.release('b'), [])
  assert.equal(s.freeSlots, 1)
})

test('scheduler: a zero-length queue refuses as soon as the slots are full', () => {
  const s = new Scheduler<{ id: string }>(1, 0)
  assert.equal(s.admit({ id: 'a' }).kind, 'run')
  assert.equal(s.admit({ id: 'b' }).kind, 'busy')
})
