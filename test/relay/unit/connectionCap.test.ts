// The relay caps open connections per client address by default (relay/config.ts maxConnectionsPerIp), counts the
// client named by a trusted reverse proxy's X-Forwarded-For instead of the proxy, and lets the operator lift it.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import WebSocket from 'ws'
import { clientAddress } from '../../../relay/clientAddress.ts'
import { defaultRelayConfig } from '../../../relay/config.ts'
import { startRelay } from '../../helpers/relay.ts'

type Outcome = { ws: WebSocket; refused?: { code: number; notice: string | undefined } }

/** Opens a socket and reports whether the relay kept it (its AUTH challenge arrived) or closed it with a reason. */
function open(url: string, headers: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    let notice: string | undefined
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as unknown[]
      if (m[0] === 'AUTH') resolve({ ws })
      if (m[0] === 'NOTICE') notice = String(m[1])
    })
    ws.once('close', (code) => resolve({ ws, refused: { code, notice } }))
    ws.once('error', reject)
  })
}

async function openMany(url: string, n: number, headers?: Record<string, string>): Promise<Outcome[]> {
  const out: Outcome[] = []
  for (let i = 0; i < n; i++) out.push(await open(url, headers))
  return out
}

const closeAll = (outcomes: Outcome[]) => Promise.all(outcomes.map((o) => (o.ws.readyState === WebSocket.CLOSED ? undefined : new Promise((r) => (o.ws.once('close', r), o.ws.close())))))

test('by default one address gets 100 connections; the 101st is refused with rate-limited:', async (t) => {
  assert.equal(defaultRelayConfig().maxConnectionsPerIp, 100)
  const relay = await startRelay()
  t.after(() => relay.close())
  const kept = await openMany(relay.url, 100)
  t.after(() => closeAll(kept))
  assert.equal(kept.filter((o) => o.refused).length, 0)
  const extra = await open(relay.url)
  assert.deepEqual(extra.refused, { code: 1008, notice: 'rate-limited: more than 100 connections from your address' })
  // A slot that frees up is usable again.
  await closeAll(kept.splice(0, 1))
  const again = await open(relay.url)
  kept.push(again)
  assert.equal(again.refused, undefined)
})

test('behind a trusted proxy each forwarded client has its own cap; 0 lifts the cap', async (t) => {
  const relay = await startRelay({ config: { maxConnectionsPerIp: 2 } })
  t.after(() => relay.close())
  const a = await openMany(relay.url, 3, { 'x-forwarded-for': '203.0.113.7' })
  const b = await openMany(relay.url, 2, { 'x-forwarded-for': '198.51.100.1, 203.0.113.9' })
  t.after(() => closeAll([...a, ...b]))
  assert.deepEqual(a.map((o) => o.refused?.code), [undefined, undefined, 1008])
  assert.deepEqual(b.map((o) => o.refused?.code), [undefined, undefined])

  const open0 = await startRelay({ config: { maxConnectionsPerIp: 0 } })
  t.after(() => open0.close())
  const many = await openMany(open0.url, 120)
  t.after(() => closeAll(many))
  assert.equal(many.filter((o) => o.refused).length, 0)
})

test('clientAddress: the rightmost untrusted hop of a trusted proxy, else the peer', () => {
  const trusted = new Set(['127.0.0.1', '10.0.0.1'])
  assert.equal(clientAddress({ remoteAddress: '127.0.0.1', forwardedFor: '1.1.1.1', trustedProxies: trusted }), '1.1.1.1')
  assert.equal(clientAddress({ remoteAddress: '127.0.0.1', forwardedFor: 'spoofed, 2.2.2.2, 10.0.0.1', trustedProxies: trusted }), '2.2.2.2')
  assert.equal(clientAddress({ remoteAddress: '127.0.0.1', forwardedFor: ['3.3.3.3', '4.4.4.4'], trustedProxies: trusted }), '4.4.4.4')
  assert.equal(clientAddress({ remoteAddress: '127.0.0.1', forwardedFor: undefined, trustedProxies: trusted }), '127.0.0.1')
  assert.equal(clientAddress({ remoteAddress: '5.5.5.5', forwardedFor: '1.1.1.1', trustedProxies: trusted }), '5.5.5.5', 'an untrusted peer cannot pick its address')
  assert.equal(clientAddress({ remoteAddress: undefined, forwardedFor: undefined, trustedProxies: trusted }), 'unknown')
})
