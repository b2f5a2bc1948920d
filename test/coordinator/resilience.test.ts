// The coordinator against hostile or unreliable relays: forged and malformed events are counted and never stored;
// a relay that goes away and comes back is re-subscribed; an open gateway never binds beyond loopback.
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import WebSocket, { WebSocketServer } from 'ws'
import { createCoordinator } from '../../src/coordinator/app.ts'
import { OpenGatewayExposedError, startCoordinatorServer } from '../../src/coordinator/server.ts'
import { createRelayPool, type WebSocketConstructor } from '../../src/net/relayPool.ts'
import { createRelay } from '../../relay/relay.ts'
import { startRelayServer } from '../../relay/server.ts'
import { createMemoryStore } from '../../relay/store/memory.ts'
import { startCoordinator } from '../helpers/coordinator.ts'
import { testSigner } from '../helpers/keys.ts'
import { capabilityEvent, fakeNode } from './fixtures.ts'

const WS = WebSocket as unknown as WebSocketConstructor

async function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

test('forged and malformed events from a lying relay are dropped and counted, never stored', async (t) => {
  const good = await fakeNode('honest')
  const victim = await fakeNode('victim')
  const forged = { ...(await capabilityEvent(testSigner('mallory'), { name: 'evil', price: { input: '0', output: '0' } })), pubkey: victim.pubkey }
  const oversized = { ...good.events[0]!, content: 'x'.repeat(20_000) }
  const payloads: unknown[] = [forged, oversized, { kind: 33830, junk: true }, 'not-an-event', { ...good.events[1]!, sig: '00'.repeat(64) }, ...good.events]
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  t.after(() => {
    for (const client of wss.clients) client.terminate()
    return new Promise<void>((r) => wss.close(() => r()))
  })
  wss.on('connection', (socket) => {
    socket.on('message', (data) => {
      const msg = JSON.parse(String(data)) as unknown[]
      if (msg[0] !== 'REQ') return
      for (const p of payloads) socket.send(JSON.stringify(['EVENT', msg[1], p]))
      socket.send('this is not JSON')
      socket.send(JSON.stringify(['EOSE', msg[1]]))
    })
  })
  await new Promise((r) => wss.once('listening', r))
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`
  const coord = await startCoordinator({ relays: [url] })
  t.after(() => coord.close())
  await coord.coordinator.backfilled
  const { market, indexer, db } = coord.coordinator
  assert.deepEqual([...market.nodes.keys()], [good.pubkey])
  assert.equal(market.nodes.get(good.pubkey)!.heartbeat?.pubkey, good.pubkey)
  assert.equal(db.nodeEvents().length, 2)
  // (The string payload never reaches the indexer: the relay pool drops non-object events.)
  assert.deepEqual(indexer.counters.rejected, { '33830:bad-id': 1, '33830:too-large': 1, '33830:malformed': 1, '13830:bad-signature': 1 })
  const metrics = await (await fetch(`${coord.url}/metrics`)).text()
  assert.match(metrics, /infernet_coordinator_events_rejected_total\{kind="33830",code="bad-id"\} 1/)
  assert.equal((await fetch(`${coord.url}/healthz`)).status, 200, 'the process is unharmed')
})

test('a relay that goes away and comes back is re-subscribed', async (t) => {
  const start = async (port: number) => startRelayServer({ relay: createRelay({ store: createMemoryStore() }), host: '127.0.0.1', port })
  let server = await start(0)
  const port = server.port
  const coord = await startCoordinator({ relays: [server.url] })
  t.after(() => coord.close())
  const publisher = createRelayPool({ urls: [server.url], WebSocket: WS, reconnect: { initialMs: 50, maxMs: 200 } })
  t.after(() => publisher.close())
  await publisher.ready()
  const before = await fakeNode('before-outage')
  for (const e of before.events) await publisher.publish(e)
  await waitFor(() => coord.coordinator.market.nodes.has(before.pubkey), 'first node indexed')

  await server.close()
  await waitFor(() => coord.coordinator.pool!.connectedCount() === 0, 'disconnect noticed')
  server = await start(port)
  t.after(() => server.close())
  await publisher.ready({ timeoutMs: 10_000 })
  const after = await fakeNode('after-outage')
  for (const e of after.events) await publisher.publish(e)
  await waitFor(() => coord.coordinator.market.nodes.has(after.pubkey), 'node published after the outage indexed')
  assert.equal(coord.coordinator.market.nodes.size, 2)
})

test('an open gateway (no API keys) refuses to bind beyond loopback', async (t) => {
  const coord = createCoordinator({ relays: [], dbPath: ':memory:' })
  t.after(() => coord.close())
  await assert.rejects(startCoordinatorServer({ coordinator: coord, host: '0.0.0.0', port: 0 }), (err: unknown) => {
    assert.ok(err instanceof OpenGatewayExposedError)
    assert.match(err.message, /--api-key/)
    return true
  })
})
