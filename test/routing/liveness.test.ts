// The one liveness rule (nips/routing.md, "Liveness"), on parsed data at a fixed clock: each condition alone
// takes a node out, including the two the SDK and the coordinator used to disagree on.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import type { Capability } from '../../src/protocol/capability.ts'
import type { Heartbeat } from '../../src/protocol/heartbeat.ts'
import { hasCapacity, heartbeatFresh, isAvailable, isLive, room, type NodeState } from '../../src/routing/liveness.ts'
import { fixedNow } from '../helpers/keys.ts'

const now = fixedNow

type CapacityCase = { name: string; maxQueue?: number; slots: { free: number; total: number }; queue: number; room: number; available: boolean }
const capacityVectors = JSON.parse(readFileSync(new URL('../vectors/capacity.json', import.meta.url), 'utf8')) as { cases: CapacityCase[] }

function node({ capability = {}, heartbeat = {} }: { capability?: Partial<Capability>; heartbeat?: Partial<Heartbeat> } = {}): NodeState {
  return {
    capability: { v: 1, backend: 'fake', models: [{ id: 'llama3' }], price: { input: '0', output: '0' }, gpus: [], stream: null, maxConcurrency: 4, maxPromptBytes: 1000, pubkey: 'a'.repeat(64), createdAt: now - 600, expiresAt: now + 600, ...capability },
    heartbeat: { v: 1, models: ['llama3'], loaded: [], slots: { free: 1, total: 4 }, queue: 0, tps: null, ttftMs: null, gpus: [], interval: 30, backendHealthy: true, pubkey: 'a'.repeat(64), createdAt: now - 10, expiresAt: now + 80, ...heartbeat },
  }
}

test('fresh needs both: younger than 3 intervals and not expired', () => {
  assert.equal(heartbeatFresh(node().heartbeat!, now), true)
  // A far expiration does not keep an old heartbeat alive, nor does youth outlive an early expiration.
  assert.equal(heartbeatFresh(node({ heartbeat: { createdAt: now - 90, expiresAt: now + 3600 } }).heartbeat!, now), false)
  assert.equal(heartbeatFresh(node({ heartbeat: { createdAt: now - 89, expiresAt: now + 3600 } }).heartbeat!, now), true)
  assert.equal(heartbeatFresh(node({ heartbeat: { createdAt: now - 10, expiresAt: now } }).heartbeat!, now), false)
})

test('live: unexpired capability, fresh heartbeat, healthy backend, and for a model both events list it', () => {
  assert.equal(isLive(node(), now), true)
  assert.equal(isLive(node(), now, 'llama3'), true)
  assert.equal(isLive({ ...node(), heartbeat: undefined }, now), false)
  assert.equal(isLive(node({ capability: { expiresAt: now } }), now), false)
  assert.equal(isLive(node({ heartbeat: { backendHealthy: false } }), now), false)
  assert.equal(isLive(node({ heartbeat: { models: [] } }), now, 'llama3'), false)
  assert.equal(isLive(node({ capability: { models: [{ id: 'mistral' }] } }), now, 'llama3'), false)
})

test('capacity: free slots plus free queue places (test/vectors/capacity.json)', () => {
  for (const c of capacityVectors.cases) {
    const n = node({ capability: c.maxQueue === undefined ? {} : { maxQueue: c.maxQueue }, heartbeat: { slots: c.slots, queue: c.queue } })
    assert.equal(room(n), c.room, c.name)
    assert.equal(hasCapacity(n), c.available, c.name)
    assert.equal(isAvailable(n, now, 'llama3'), c.available, c.name)
    // Busy is still live: a router answers "busy", not "unknown model".
    assert.equal(isLive(n, now, 'llama3'), true, c.name)
  }
})
