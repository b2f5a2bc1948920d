// Discovery: the live market from relays (capability + heartbeat), and from a coordinator whose entries the
// client re-verifies. The coordinator here is a tiny Hono app in the test serving the signed events it read
// from the relay (src/coordinator has no test helper yet); it speaks the documented GET /api/v1/nodes shape.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import type { AddressInfo } from 'node:net'
import WebSocket from 'ws'
import { createRelayPool, type WebSocketConstructor } from '../../src/net/relayPool.ts'
import * as kinds from '../../src/protocol/kinds.ts'
import { NoNodeForModelError } from '../../client/errors.ts'
import { createTestClient, waitForLive } from '../helpers/client.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import { startNode } from '../helpers/node.ts'
import { startRelay } from '../helpers/relay.ts'

test('market from relays: nodes, models, prices, load; unknown model is a typed error', async (t) => {
  const relay = await startRelay()
  t.after(() => relay.close())
  const fakeA = await startFakeOllama({ models: ['llama3', 'mistral'] })
  t.after(() => fakeA.close())
  const fakeB = await startFakeOllama({ models: ['llama3'] })
  t.after(() => fakeB.close())
  const a = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fakeA.url }, price: { input: '10', output: '20' }, config: { region: 'eu-west', name: 'alpha' } })
  t.after(() => a.stop())
  const b = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fakeB.url }, price: { input: '1', output: '2' }, maxConcurrency: 2 })
  t.after(() => b.stop())
  const client = createTestClient({ relays: [relay.url] })
  t.after(() => client.close())
  await waitForLive(client, [a.pubkey, b.pubkey])

  const nodes = await client.nodes()
  assert.deepEqual(new Set(nodes.map((n) => n.pubkey)), new Set([a.pubkey, b.pubkey]))
  const na = nodes.find((n) => n.pubkey === a.pubkey)!
  assert.equal(na.live, true)
  assert.deepEqual([...na.models].sort(), ['llama3', 'mistral'])
  assert.deepEqual(na.price, { input: '10', output: '20' })
  assert.equal(na.region, 'eu-west')
  assert.equal(na.name, 'alpha')
  assert.equal(na.stream, a.streamUrl)
  assert.ok(na.npub.startsWith('npub1'))
  assert.deepEqual(nodes.find((n) => n.pubkey === b.pubkey)!.load, { busy: 0, total: 2, queue: 0 })

  assert.deepEqual((await client.nodes({ model: 'mistral' })).map((n) => n.pubkey), [a.pubkey])
  const models = await client.models()
  const llama = models.find((m) => m.id === 'llama3')!
  assert.equal(llama.nodes, 2)
  assert.deepEqual(llama.minPrice, { input: '1', output: '2' })
  assert.equal(models.find((m) => m.id === 'mistral')!.nodes, 1)

  await assert.rejects(client.complete({ model: 'gpt-9', messages: [{ role: 'user', content: 'hi' }] }), (err: unknown) => {
    assert.ok(err instanceof NoNodeForModelError)
    assert.match(err.message, /llama3/)
    return true
  })
})

test('coordinator path: candidates come from GET /api/v1/nodes, tampered entries are dropped', async (t) => {
  const relay = await startRelay()
  t.after(() => relay.close())
  const fake = await startFakeOllama({ models: ['llama3'] })
  t.after(() => fake.close())
  const node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url } })
  t.after(() => node.stop())

  // The coordinator stand-in: reads the node's signed events from the relay and serves them.
  const watcher = createTestClient({ relays: [relay.url], name: 'watcher' })
  t.after(() => watcher.close())
  await waitForLive(watcher, [node.pubkey])
  const pool = createRelayPool({ urls: [relay.url], WebSocket: WebSocket as unknown as WebSocketConstructor })
  t.after(() => pool.close())
  await pool.ready()
  const events = await pool.query([{ kinds: [kinds.Capability, kinds.Heartbeat], authors: [node.pubkey] }])
  const capability = events.find((e) => e.kind === kinds.Capability)!
  const heartbeat = events.find((e) => e.kind === kinds.Heartbeat)!
  const forged = { ...capability, pubkey: 'f'.repeat(64) }
  const tampered = { ...capability, content: capability.content.replace('"maxConcurrency":', '"maxConcurrency":1,"x":') }
  const requests: string[] = []
  const app = new Hono().get('/api/v1/nodes', (c) => {
    requests.push(c.req.query('model') ?? '')
    return c.json({
      nodes: [
        { pubkey: node.pubkey, capability, heartbeat, stats: { jobs: 10, successRate: 0.9, avgTtftMs: 50, avgTps: 40 }, score: 0.9 },
        { pubkey: forged.pubkey, capability: forged, heartbeat: null, stats: { jobs: 0, successRate: null, avgTtftMs: null, avgTps: null }, score: 0.5 },
        { pubkey: node.pubkey, capability: tampered, heartbeat, stats: null, score: 0.1 },
      ],
    })
  })
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const coordinator = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const client = createTestClient({ relays: [relay.url], coordinator })
  t.after(() => client.close())
  const nodes = await client.nodes({ model: 'llama3' })
  assert.deepEqual(nodes.map((n) => n.pubkey), [node.pubkey])
  assert.deepEqual(nodes[0]!.stats, { jobs: 10, successRate: 0.9, avgTtftMs: 50, avgTps: 40 })
  assert.equal(nodes[0]!.live, true)
  const result = await client.complete({ model: 'llama3', messages: [{ role: 'user', content: 'hello' }] })
  assert.equal(result.node, node.pubkey)
  assert.equal(result.text, 'Hello from the fake backend. The quick brown fox jumps over the lazy dog, twice: once for luck.')
  assert.ok(requests.includes('llama3'))
})

test('relay transport: a node without a stream URL is reached through relays', async (t) => {
  const relay = await startRelay()
  t.after(() => relay.close())
  const fake = await startFakeOllama({ models: ['llama3'], reply: 'through the relays we go, chunk by chunk' })
  t.after(() => fake.close())
  const node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, config: { announceStream: false } })
  t.after(() => node.stop())
  const client = createTestClient({ relays: [relay.url] })
  t.after(() => client.close())
  await waitForLive(client, [node.pubkey])
  const [listed] = await client.nodes({ model: 'llama3' })
  assert.equal(listed!.stream, null)
  const stream = client.chat({ model: 'llama3', messages: [{ role: 'user', content: 'hello' }] })
  let text = ''
  for await (const d of stream) text += d.text
  const result = await stream.result
  assert.equal(text, 'through the relays we go, chunk by chunk')
  assert.equal(result.text, text)
  assert.equal(result.jobs[0]!.transport, 'relay')
})
