// The REST API where API keys are configured (issue 15, low items): routing a job (which counts it in flight on a
// node), submitting one and following one need a key; the same signed job POSTed again is refused; job streams
// are capped. Reading the market stays public, as the relays it comes from are.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import WebSocket from 'ws'
import { createCoordinator, type Coordinator } from '../../src/coordinator/app.ts'
import type { WebSocketConstructor } from '../../src/net/relayPool.ts'
import { buildJobRequest } from '../../src/protocol/jobRequest.ts'
import { testSigner } from '../helpers/keys.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'
import { fakeNode } from './fixtures.ts'

const key = 'sk-rest-api-0000'
const auth = { authorization: `Bearer ${key}` }

describe('REST API with API keys configured', () => {
  let relay: TestRelay
  let coord: Coordinator
  let node: Awaited<ReturnType<typeof fakeNode>>

  before(async () => {
    relay = await startRelay()
    coord = createCoordinator({
      relays: [relay.url],
      dbPath: ':memory:',
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      apiKeys: [{ key }],
      config: { gateway: false, maxStreams: 3, maxStreamsPerKey: 2, flushMs: 10 },
    })
    await coord.pool!.ready({ timeoutMs: 10_000 })
    node = await fakeNode('rest-auth-node')
    for (const e of node.events) assert.ok(coord.indexer.ingest(e))
    coord.indexer.flush()
  })
  after(async () => {
    await coord?.close()
    await relay?.close()
  })

  const request = (path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) => coord.app.request(path, init)
  const code = async (res: Response) => ((await res.json()) as { error?: { code: string } }).error?.code
  const inflight = () => coord.market.nodes.get(node.pubkey)!.inflight

  it('route queries need the key: without it nothing is counted in flight', async () => {
    const routeQuery = JSON.stringify({ model: 'llama3' })
    const anonymous = await request('/api/v1/jobs', { method: 'POST', body: routeQuery })
    assert.equal(anonymous.status, 401)
    assert.equal(await code(anonymous), 'invalid_api_key')
    const picked = await request('/api/v1/nodes?model=llama3&pick=1')
    assert.equal(picked.status, 401)
    assert.equal(inflight(), 0)
    const ok = await request('/api/v1/jobs', { method: 'POST', body: routeQuery, headers: auth })
    assert.equal(ok.status, 200)
    assert.equal(inflight(), 1)
    // The market itself stays readable, and the status page (which reads /api/v1/stats and its history) works.
    assert.equal((await request('/api/v1/nodes?model=llama3')).status, 200)
    assert.equal((await request('/api/v1/models')).status, 200)
    assert.equal((await request('/api/v1/stats')).status, 200)
    assert.equal((await request('/api/v1/stats/history')).status, 200)
    assert.equal((await request('/')).status, 200)
  })

  it('a signed job runs once: POSTed again, or twice at once, the copy is refused 409 duplicate_job', async () => {
    const client = testSigner('rest-auth-client')
    const payload = { v: 1 as const, model: 'llama3', messages: [{ role: 'user' as const, content: 'hi' }], params: {}, bid: { input: '0', output: '0' }, transport: 'relay' as const }
    const job = await buildJobRequest(client, { node: node.pubkey, payload })
    const body = JSON.stringify(job)
    assert.equal((await request('/api/v1/jobs', { method: 'POST', body })).status, 401)
    const before = inflight()
    const first = await request('/api/v1/jobs', { method: 'POST', body, headers: auth })
    assert.equal(first.status, 202)
    const again = await request('/api/v1/jobs', { method: 'POST', body, headers: auth })
    assert.equal(again.status, 409)
    assert.equal(await code(again), 'duplicate_job')
    const other = JSON.stringify(await buildJobRequest(client, { node: node.pubkey, payload: { ...payload, messages: [{ role: 'user', content: 'two at once' }] } }))
    const both = await Promise.all([1, 2].map(() => request('/api/v1/jobs', { method: 'POST', body: other, headers: auth })))
    assert.deepEqual(both.map((r) => r.status).sort(), [202, 409])
    assert.equal(inflight(), before + 2, 'each job counted once')
    assert.equal((await request(`/api/v1/jobs/${job.id}`)).status, 401)
    assert.equal((await request(`/api/v1/jobs/${job.id}`, { headers: auth })).status, 200)
  })

  it('job streams need the key and are capped per key; a closed stream frees its place', async () => {
    const id = (n: number) => n.toString(16).padStart(64, 'c')
    assert.equal((await request(`/api/v1/jobs/${id(1)}/stream`)).status, 401)
    const open = [await request(`/api/v1/jobs/${id(1)}/stream`, { headers: auth }), await request(`/api/v1/jobs/${id(2)}/stream`, { headers: auth })]
    assert.deepEqual(open.map((r) => r.status), [200, 200])
    const third = await request(`/api/v1/jobs/${id(3)}/stream`, { headers: auth })
    assert.equal(third.status, 429)
    assert.equal(await code(third), 'too_many_streams')
    assert.equal(third.headers.get('retry-after'), '5')
    await open[0]!.body!.cancel()
    let reopened = await request(`/api/v1/jobs/${id(3)}/stream`, { headers: auth })
    for (let i = 0; reopened.status === 429 && i < 1000; i++) {
      await new Promise((r) => setImmediate(r))
      reopened = await request(`/api/v1/jobs/${id(3)}/stream`, { headers: auth })
    }
    assert.equal(reopened.status, 200)
    await reopened.body!.cancel()
    await open[1]!.body!.cancel()
  })
})
