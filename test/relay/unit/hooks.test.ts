// The hook arrays of createRelay: one decision type and runner for every reject hook, and COUNT reading the same
// query sources as REQ (in process, no sockets).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure'
import { decide, reject, type PolicyDecision } from '../../../relay/hooks.ts'
import { serializeEvent } from '../../../relay/messages.ts'
import { createRelay } from '../../../relay/relay.ts'
import { createMemoryStore } from '../../../relay/store/memory.ts'

const shadow: PolicyDecision = { action: 'shadowReject' }

function open(relay: ReturnType<typeof createRelay>) {
  const sent: unknown[] = []
  const conn = relay.openConnection({ ip: '127.0.0.1', send: (t) => sent.push(JSON.parse(String(t))), bufferedAmount: () => 0, close: () => {} })!
  return { conn, sent }
}

describe('relay hooks', () => {
  it('decide: the first rejection wins, a shadow reject only when nothing rejects', () => {
    assert.equal(decide([() => undefined]), undefined)
    assert.deepEqual(decide([() => shadow, () => reject('blocked: no')]), reject('blocked: no'))
    assert.deepEqual(decide([() => reject('blocked: first'), () => reject('blocked: second')]), reject('blocked: first'))
    assert.deepEqual(decide([() => shadow, () => undefined]), shadow)
  })

  it('COUNT and REQ read the same query sources; COUNT counts their union once', async () => {
    const sk = generateSecretKey()
    const [a, b] = [1, 2].map((i) => finalizeEvent({ kind: 1, created_at: 1_700_000_000 + i, tags: [], content: `${i}` }, sk))
    const extra = createMemoryStore()
    extra.write([a!, b!].map((event) => ({ event, json: serializeEvent(event) })), 0)
    const relay = createRelay({ store: createMemoryStore(), verify: () => true, config: { expirationPurgeSeconds: 0 } })
    relay.hooks.queryEvents.push(extra)
    const { conn, sent } = open(relay)
    await relay.handleMessage(conn, JSON.stringify(['EVENT', a]))
    await relay.handleMessage(conn, JSON.stringify(['REQ', 'r', { kinds: [1] }]))
    await relay.handleMessage(conn, JSON.stringify(['COUNT', 'c', { kinds: [1] }]))
    assert.deepEqual(
      sent.filter((m) => (m as string[])[0] === 'EVENT').map((m) => (m as [string, string, { id: string }])[2].id),
      [b!.id, a!.id],
    )
    assert.deepEqual(sent.at(-1), ['COUNT', 'c', { count: 2 }])
    await relay.close()
  })

  it('a shadow-rejected REQ or COUNT is answered as if nothing matched; a rejected one gets CLOSED', async () => {
    const sk = generateSecretKey()
    const relay = createRelay({ store: createMemoryStore(), verify: () => true, config: { expirationPurgeSeconds: 0 } })
    const { conn, sent } = open(relay)
    await relay.handleMessage(conn, JSON.stringify(['EVENT', finalizeEvent({ kind: 1, created_at: 1_700_000_000, tags: [], content: '' }, sk)]))
    relay.hooks.rejectFilter.push((filters) => (filters.some((f) => f.kinds?.includes(1)) ? shadow : reject('restricted: not these')))
    await relay.handleMessage(conn, JSON.stringify(['REQ', 'r', { kinds: [1] }]))
    await relay.handleMessage(conn, JSON.stringify(['COUNT', 'c', { kinds: [1] }]))
    await relay.handleMessage(conn, JSON.stringify(['REQ', 'x', { kinds: [2] }]))
    assert.deepEqual(sent.slice(-3), [['EOSE', 'r'], ['COUNT', 'c', { count: 0 }], ['CLOSED', 'x', 'restricted: not these']])
    assert.equal(conn.subs.size, 0, 'a shadow-rejected REQ is not kept for fan-out')
    await relay.close()
  })
})
