import assert from 'node:assert/strict'
import { test } from 'node:test'
import { finalizeEvent } from 'nostr-tools/pure'
import WebSocket from 'ws'
import { createRelayPool, PublishError, type WebSocketConstructor } from '../../src/net/relayPool.ts'
import type { NostrEvent } from '../../src/protocol/event.ts'
import { testSecretKey } from '../helpers/keys.ts'
import { startThirdPartyRelay } from '../helpers/thirdPartyRelay.ts'

const sk = testSecretKey('pool')
const note = (content: string, kind = 1): NostrEvent => finalizeEvent({ kind, created_at: Math.floor(Date.now() / 1000), tags: [], content }, sk)

async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}

test('publishes to several relays, dedupes subscriptions, queries stored events', async (t) => {
  const a = await startThirdPartyRelay()
  const b = await startThirdPartyRelay()
  t.after(() => Promise.all([a.close(), b.close()]))
  const pool = createRelayPool({ urls: [a.url, b.url], WebSocket: WebSocket as unknown as WebSocketConstructor })
  t.after(() => pool.close())
  assert.equal(await pool.ready({ min: 2 }), 2)
  const seen: string[] = []
  const eoses: string[] = []
  pool.subscribe([{ kinds: [1] }], { onEvent: (e) => seen.push(e.id), onEose: (r) => eoses.push(r) })
  const ev = note('hello')
  const outcomes = await pool.publish(ev)
  assert.deepEqual(outcomes.map((o) => o.ok), [true, true])
  await until(() => seen.length >= 1 && eoses.length === 2)
  await new Promise((r) => setTimeout(r, 100))
  assert.deepEqual(seen, [ev.id], 'the event arrives from both relays but is delivered once')
  const stored = await pool.query([{ ids: [ev.id] }])
  assert.deepEqual(stored.map((e) => e.id), [ev.id])
})

test('rejection by every relay throws PublishError with each reason', async (t) => {
  const a = await startThirdPartyRelay()
  t.after(() => a.close())
  const pool = createRelayPool({ urls: [a.url], WebSocket: WebSocket as unknown as WebSocketConstructor })
  t.after(() => pool.close())
  await pool.ready()
  const bad = { ...note('x'), sig: '0'.repeat(128) }
  await assert.rejects(pool.publish(bad), (err: unknown) => err instanceof PublishError && err.outcomes.length === 1 && err.outcomes[0]!.ok === false)
})

test('reconnects after the relay restarts and re-sends open subscriptions', async (t) => {
  const first = await startThirdPartyRelay()
  const port = Number(new URL(first.url).port)
  const pool = createRelayPool({ urls: [first.url], WebSocket: WebSocket as unknown as WebSocketConstructor, reconnect: { initialMs: 50, maxMs: 200 } })
  t.after(() => pool.close())
  await pool.ready()
  const seen: string[] = []
  pool.subscribe([{ kinds: [1] }], { onEvent: (e) => seen.push(e.content) })
  await first.close()
  await until(() => pool.connectedCount() === 0)
  const second = await startThirdPartyRelay({ port })
  t.after(() => second.close())
  await pool.ready({ timeoutMs: 5000 })
  assert.equal(pool.connectedCount(), 1)
  await pool.publish(note('after restart'))
  await until(() => seen.includes('after restart'))
})

test('publish with no connected relay fails clearly', async (t) => {
  const pool = createRelayPool({ urls: ['ws://127.0.0.1:9'], WebSocket: WebSocket as unknown as WebSocketConstructor })
  t.after(() => pool.close())
  await assert.rejects(pool.publish(note('x')), /No relay accepted/)
})

test('a forged copy from a lying relay does not hide the genuine event from another relay', async (t) => {
  const { WebSocketServer } = await import('ws')
  const genuine = note('the real one')
  const forged = { ...genuine, content: 'tampered' }
  // A lying relay: answers every REQ with the forged copy (same id, wrong content) before EOSE.
  const liar = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  liar.on('connection', (ws) =>
    ws.on('message', (data) => {
      const [type, subId] = JSON.parse(String(data)) as [string, string]
      if (type === 'REQ') {
        ws.send(JSON.stringify(['EVENT', subId, forged]))
        ws.send(JSON.stringify(['EOSE', subId]))
      }
    }),
  )
  t.after(() => {
    for (const client of liar.clients) client.terminate()
    return new Promise<void>((r) => liar.close(() => r()))
  })
  const honest = await startThirdPartyRelay()
  t.after(() => honest.close())
  const liarUrl = `ws://127.0.0.1:${(liar.address() as { port: number }).port}`
  const { isAuthentic } = await import('../../src/protocol/event.ts')
  const pool = createRelayPool({ urls: [liarUrl, honest.url], WebSocket: WebSocket as unknown as WebSocketConstructor })
  t.after(() => pool.close())
  assert.equal(await pool.ready({ min: 2 }), 2)
  await pool.publish(genuine).catch(() => undefined)
  const seen: string[] = []
  pool.subscribe([{ ids: [genuine.id] }], { onEvent: (e) => seen.push(e.content), verify: (e) => isAuthentic(e) })
  await until(() => seen.length >= 1)
  await new Promise((r) => setTimeout(r, 100))
  assert.deepEqual(seen, ['the real one'])
})
