// The one liveness rule (nips/routing.md, "Liveness"), on parsed data at a fixed clock: each condition alone
// takes a node out, including the two the SDK and the coordinator used to disagree on.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Capability } from '../../src/protocol/capability.ts'
import type { Heartbeat } from '../../src/protocol/heartbeat.ts'
import { hasCapacity, heartbeatFresh, isAvailable, isLive, type NodeState } from '../../src/routing/liveness.ts'
import { fixedNow } from '../helpers/keys.ts'

const now = fixedNow

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

test('capacity: a free slot, or a queue shorter than the slots', () => {
  assert.equal(hasCapacity(node().heartbeat!), true)
  assert.equal(hasCapacity(node({ heartbeat: { slots: { free: 0, total: 4 }, queue: 3 } }).heartbeat!), true)
  assert.equal(hasCapacity(node({ heartbeat: { slots: { free: 0, total: 4 }, queue: 4 } }).heartbeat!), false)
  assert.equal(isAvailable(node({ heartbeat: { slots: { free: 0, total: 4 }, queue: 4 } }), now, 'llama3'), false)
  assert.equal(isAvailable(node({ heartbeat: { slots: { free: 0, total: 4 }, queue: 1 } }), now, 'llama3'), true)
  // Busy is still live: a coordinator answers "no capacity", not "unknown model".
  assert.equal(isLive(node({ heartbeat: { slots: { free: 0, total: 4 }, queue: 4 } }), now, 'llama3'), true)
})
