import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createCoordinator, type Coordinator } from '../../src/coordinator/app.ts'
import { buildJobRequest } from '../../src/protocol/jobRequest.ts'
import { buildJobStatus } from '../../src/protocol/jobStatus.ts'
import { tempDir } from '../helpers/coordinator.ts'
import { testSigner } from '../helpers/keys.ts'
import { fakeNode, resultEvent } from './fixtures.ts'

describe('REST API (app.request)', () => {
  const dir = tempDir()
  let coord: Coordinator
  const nodes: Awaited<ReturnType<typeof fakeNode>>[] = []

  before(async () => {
    coord = createCoordinator({ relays: [], dbPath: `${dir.path}/c.db`, config: { gateway: false, maxBodyBytes: 64 * 1024 }, random: () => 0 })
    nodes.push(await fakeNode('api-cheap', { name: 'cheap', price: { input: '0', output: '0' }, models: ['llama3', 'qwen2'] }))
    nodes.push(await fakeNode('api-dear', { name: 'dear', price: { input: '2000000', output: '4000000' }, stream: 'http://127.0.0.1:9/' }))
    nodes.push(await fakeNode('api-full', { name: 'full', free: 0, queue: 4 }))
    for (const n of nodes) for (const e of n.events) assert.ok(coord.indexer.ingest(e))
    coord.indexer.flush()
  })
  after(async () => {
    await coord.close()
    dir.remove()
  })

  const get = async (path: string) => {
    const res = await coord.app.request(path)
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } }
  }
  const post = async (path: string, body: string) => {
    const res = await coord.app.request(path, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } }
  }

  it('GET /api/v1/nodes lists candidates best first with the signed events and stats', async () => {
    const { status, body } = await get('/api/v1/nodes?model=llama3')
    assert.equal(status, 200)
    const list = body.nodes as { pubkey: string; npub: string; capability: { id: string; sig: string }; heartbeat: { kind: number } | null; stats: unknown; score: number }[]
    assert.deepEqual(list.map((n) => n.pubkey), [nodes[0]!.pubkey, nodes[1]!.pubkey], 'the full node is not a candidate; cheaper first')
    assert.equal(list[0]!.capability.id, nodes[0]!.events[0]!.id)
    assert.equal(list[0]!.heartbeat!.kind, 13830)
    assert.ok(list[0]!.npub.startsWith('npub1'))
    assert.deepEqual(list[0]!.stats, { jobs: 0, successRate: null, avgTtftMs: null, avgTps: null })
    assert.ok(list[0]!.score > list[1]!.score)
    const capped = await get('/api/v1/nodes?model=llama3&maxPriceIn=1000000&maxPriceOut=1000000')
    assert.equal((capped.body.nodes as unknown[]).length, 1)
    assert.equal((await get('/api/v1/nodes?model=llama3&limit=1')).body.nodes instanceof Array, true)
    assert.equal(((await get('/api/v1/nodes')).body.nodes as unknown[]).length, 3, 'without a model: every live node')
    assert.equal((await get('/api/v1/nodes?limit=0')).body.error!.code, 'invalid_request')
    assert.equal((await get('/api/v1/nodes?policy=random')).body.error!.code, 'invalid_request')
    assert.equal((await get('/api/v1/nodes?model=llama3&maxPriceIn=-1')).status, 400)
    assert.equal((await get('/api/v1/nodes?model=llama3&pick=yes')).status, 400)
  })

  it('GET /api/v1/nodes?pick=1 draws the first entry among the best k and counts it in flight', async () => {
    // random() = 0.99 draws the last of the top k (here the second and last candidate).
    const picking = createCoordinator({ relays: [], dbPath: ':memory:', config: { gateway: false }, random: () => 0.99 })
    for (const n of nodes) for (const e of n.events) picking.indexer.ingest(e)
    picking.indexer.flush()
    const res = await picking.app.request('/api/v1/nodes?model=llama3&pick=1&limit=2')
    const list = ((await res.json()) as { nodes: { pubkey: string }[] }).nodes
    assert.deepEqual(list.map((n) => n.pubkey), [nodes[1]!.pubkey, nodes[0]!.pubkey])
    assert.equal(picking.market.nodes.get(nodes[1]!.pubkey)!.inflight, 1)
    await picking.close()
  })

  it('GET /api/v1/stats names its relays without their credentials', async () => {
    const secret = createCoordinator({ relays: ['ws://alice:hunter2@127.0.0.1:9/?token=s3cret'], dbPath: ':memory:', config: { gateway: false }, WebSocket: class { readyState = 0; close() {} } as never })
    try {
      const text = await (await secret.app.request('/api/v1/stats')).text()
      assert.doesNotMatch(text, /hunter2|s3cret|alice/)
      assert.match(text, /ws:\/\/\*\*\*@127\.0\.0\.1:9\/\?token=\*\*\*/)
    } finally {
      await secret.close()
    }
  })

  it('GET /api/v1/models aggregates the live market', async () => {
    const { body } = await get('/api/v1/models')
    const models = body.models as { id: string; nodes: number; minPrice: { input: string } }[]
    assert.deepEqual(models.map((m) => [m.id, m.nodes, m.minPrice.input]), [['llama3', 3, '0'], ['qwen2', 1, '0']])
  })

  it('POST /api/v1/jobs with a route query answers the chosen node; errors are specific', async () => {
    const ok = await post('/api/v1/jobs', JSON.stringify({ model: 'llama3', policy: 'cheapest' }))
    assert.equal(ok.status, 200)
    assert.equal((ok.body.node as { pubkey: string }).pubkey, nodes[0]!.pubkey)
    assert.equal((ok.body.alternatives as unknown[]).length, 1)
    assert.equal((await post('/api/v1/jobs', JSON.stringify({ model: 'nope' }))).body.error!.code, 'model_not_found')
    // Only the full node is left: busy (it will have room again), told when its next heartbeat is due.
    const busy = await post('/api/v1/jobs', JSON.stringify({ model: 'llama3', exclude: [nodes[0]!.pubkey, nodes[1]!.pubkey] }))
    assert.equal(busy.status, 503)
    assert.equal(busy.body.error!.code, 'busy')
    const retryAfter = Number(busy.headers.get('retry-after'))
    assert.ok(retryAfter >= 1 && retryAfter <= 30, `retry-after ${retryAfter}`)
    const none = await post('/api/v1/jobs', JSON.stringify({ model: 'llama3', exclude: nodes.map((n) => n.pubkey) }))
    assert.equal(none.status, 503)
    assert.equal(none.body.error!.code, 'no_capacity')
    assert.equal(none.headers.get('retry-after'), '5')
    assert.equal((await post('/api/v1/jobs', '{"model":')).body.error!.code, 'invalid_json')
    assert.equal((await post('/api/v1/jobs', '')).body.error!.code, 'invalid_json')
    assert.equal((await post('/api/v1/jobs', '[1,2]')).status, 400)
    assert.equal((await post('/api/v1/jobs', JSON.stringify({ model: 7 }))).body.error!.code, 'invalid_request')
    assert.equal((await post('/api/v1/jobs', JSON.stringify({ model: 'llama3', maxPrice: 'cheap' }))).status, 400)
    const huge = await post('/api/v1/jobs', JSON.stringify({ model: 'x'.repeat(100 * 1024) }))
    assert.equal(huge.status, 413)
    assert.equal(huge.body.error!.code, 'payload_too_large')
  })

  it('POST /api/v1/jobs with a job request event validates it and checks the node', async () => {
    const client = testSigner('api-client')
    const payload = { v: 1 as const, model: 'llama3', messages: [{ role: 'user' as const, content: 'hi' }], params: {}, bid: { input: '0', output: '0' }, transport: 'relay' as const }
    const forged = { ...(await buildJobRequest(client, { node: nodes[0]!.pubkey, payload })), content: 'AAAA' }
    const bad = await post('/api/v1/jobs', JSON.stringify(forged))
    assert.equal(bad.status, 400)
    assert.equal(bad.body.error!.code, 'invalid_event')
    assert.match(bad.body.error!.message, /invalid: id/)
    const stranger = await buildJobRequest(client, { node: testSigner('nobody').pubkey, payload })
    assert.equal((await post('/api/v1/jobs', JSON.stringify(stranger))).body.error!.code, 'node_not_found')
    // A known node, but this coordinator has no relays to publish to.
    const good = await buildJobRequest(client, { node: nodes[0]!.pubkey, payload })
    const res = await post('/api/v1/jobs', JSON.stringify(good))
    assert.equal(res.status, 502)
    assert.equal(res.body.error!.code, 'publish_failed')
  })

  it('GET /api/v1/jobs/:id and its SSE stream follow indexed status and result events', async () => {
    const client = testSigner('api-client').pubkey
    const node = nodes[0]!.signer
    const job = 'b'.repeat(64)
    assert.equal((await get(`/api/v1/jobs/${job}`)).body.error!.code, 'job_not_found')
    assert.equal((await get('/api/v1/jobs/xyz')).status, 400)
    coord.indexer.ingest(await buildJobStatus(node, { job, client, status: 'processing' }))
    coord.indexer.flush()
    assert.equal((await get(`/api/v1/jobs/${job}`)).body.status, 'processing')
    const res = await coord.app.request(`/api/v1/jobs/${job}/stream`)
    assert.equal(res.headers.get('content-type'), 'text/event-stream')
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    let text = ''
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read()
        if (done) break
        text += decoder.decode(value)
      }
    }
    await readUntil('event: status')
    coord.indexer.ingest(await resultEvent(node, { job, client }))
    await readUntil('event: result')
    await readUntil('\n\n')
    assert.match(text, /"status":"processing"/)
    assert.match(text, /"finishReason":"stop"/)
    const final = await get(`/api/v1/jobs/${job}`)
    assert.equal(final.body.status, 'success')
    assert.deepEqual(final.body.usage, { promptTokens: 10, completionTokens: 50 })
    assert.equal((final.body.result as { kind: number }).kind, 3831)
  })

  it('serves /healthz, /metrics, the status page, and JSON 404s', async () => {
    assert.deepEqual((await get('/healthz')).body, { ok: true, relays: 0, nodes: 3 })
    const metrics = await (await coord.app.request('/metrics')).text()
    assert.match(metrics, /infernet_coordinator_live_nodes 3/)
    assert.match(metrics, /infernet_coordinator_model_nodes\{model="llama3"\} 3/)
    const html = await (await coord.app.request('/')).text()
    // Rendered on the server, readable without JavaScript: cells named for phones, backends, audits, the charts.
    assert.match(html, /<td data-label="Model">llama3<\/td>/)
    assert.match(html, /<td data-label="Node">cheap<\/td>/)
    assert.match(html, /<td data-label="Price out \/M">0.004 gwei<\/td>/)
    assert.match(html, /<td data-label="Backend"><span class="backend">ollama<\/span><\/td>/)
    assert.match(html, /<td data-label="Audits"><span class="muted">no audits yet<\/span><\/td>/)
    assert.match(html, /<svg id="chart-jobs" /)
    assert.equal((await get('/api/v1/nope')).body.error!.code, 'not_found')
  })
})

describe('gateway error mapping (app.request)', () => {
  it('an unexpected failure is a 500 in OpenAI shape naming the request id, and the process keeps serving', async (t) => {
    const coord = createCoordinator({
      relays: [],
      dbPath: ':memory:',
      network: {
        chat: () => {
          throw new Error('database exploded: /secret/path')
        },
        close: async () => {},
      },
    })
    t.after(() => coord.close())
    for (const e of (await fakeNode('gw-500')).events) coord.indexer.ingest(e)
    coord.indexer.flush()
    const res = await coord.app.request('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'llama3', messages: [{ role: 'user', content: 'x' }] }) })
    assert.equal(res.status, 500)
    const id = res.headers.get('x-request-id')!
    const body = (await res.json()) as { error: { message: string; type: string; code: string; param: null } }
    assert.deepEqual(body, { error: { message: `The server had an error while processing your request (request id ${id}).`, type: 'server_error', param: null, code: 'internal_error' } })
    assert.doesNotMatch(JSON.stringify(body), /secret/)
    const models = await coord.app.request('/v1/models')
    assert.equal(models.status, 200)
    assert.deepEqual(((await models.json()) as { data: { id: string }[] }).data.map((m) => m.id), ['llama3'])
    const one = await coord.app.request('/v1/models/llama3')
    assert.equal(((await one.json()) as { id: string }).id, 'llama3')
    const missing = await coord.app.request('/v1/models/org/none:7b')
    assert.equal(missing.status, 404)
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'model_not_found')
  })
})
