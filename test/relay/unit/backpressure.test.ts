// The relay stops reading from a connection that sends faster than it answers, and resumes once it caught up.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure'
import { createRelay } from '../../../relay/relay.ts'
import { createMemoryStore } from '../../../relay/store/memory.ts'

describe('per-connection backpressure', () => {
  it('pauses reading above maxPendingPerConnection and resumes when the backlog halves', async () => {
    const gates: (() => void)[] = []
    const relay = createRelay({
      store: createMemoryStore(),
      config: { maxPendingPerConnection: 4, eventsPerSecondPerConnection: 0, eventsPerSecondPerIp: 0 },
      // A signature check that waits until the test lets it through.
      verify: () => new Promise<boolean>((resolve) => gates.push(() => resolve(true))),
    })
    const calls: string[] = []
    const sent: string[] = []
    const conn = relay.openConnection({
      ip: '127.0.0.1',
      send: (t) => sent.push(String(t)),
      bufferedAmount: () => 0,
      close: () => calls.push('close'),
      pause: () => calls.push('pause'),
      resume: () => calls.push('resume'),
    })!
    const sk = generateSecretKey()
    const handled = Array.from({ length: 6 }, (_, i) =>
      relay.handleMessage(conn, JSON.stringify(['EVENT', finalizeEvent({ kind: 1, created_at: 1_700_000_000 + i, tags: [], content: `${i}` }, sk)])),
    )
    await new Promise((r) => setImmediate(r))
    assert.deepEqual(calls, ['pause'])
    while (gates.length) gates.shift()!()
    await Promise.all(handled)
    assert.deepEqual(calls, ['pause', 'resume'])
    assert.equal(sent.filter((m) => m.startsWith('["OK"') && m.includes(',true,')).length, 6)
    await relay.close()
  })
})
