// Coordinators on a real network: real relay, real node daemons (fake Ollama backends). Routing as documented,
// two coordinators agreeing on the market, failover before the first token through the gateway, and a
// coordinator killed (cache deleted) and restarted that rebuilds its index from relays and routes again.
import assert from 'node:assert/strict'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import OpenAI from 'openai'
import { spawnCoordinatorProcess, startCoordinator, tempDir } from '../helpers/coordinator.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import { spawnNodeProcess, startNode } from '../helpers/node.ts'
import { startRelay } from '../helpers/relay.ts'
import { testSigner } from '../helpers/keys.ts'
import { buildJobRequest } from '../../src/protocol/jobRequest.ts'

const reply = 'Routed by the coordinator, served by a node.'
type NodesBody = { nodes: { pubkey: string; score: number; stats: { jobs: number; successRate: number | null } }[] }

async function waitFor<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const nodesOf = async (url: string, query = 'model=llama3'): Promise<NodesBody['nodes']> => ((await (await fetch(`${url}/api/v1/nodes?${query}`)).json()) as NodesBody).nodes

test('routing follows the documented policy, and two coordinators on the same relays agree on the market and its stats', async (t) => {
  const relay = await startRelay()
  t.after(() => relay.close())
  const fake = await startFakeOllama({ models: ['llama3'], reply })
  t.after(() => fake.close())
  const cheap = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, price: { input: '0', output: '0' } })
  t.after(() => cheap.stop())
  const dear = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, price: { input: '5000000', output: '5000000' } })
  t.after(() => dear.stop())
  const a = await startCoordinator({ relays: [relay.url] })
  t.after(() => a.close())
  const b = await startCoordinator({ relays: [relay.url] })
  t.after(() => b.close())

  for (const c of [a, b]) await waitFor(async () => (await nodesOf(c.url)).length === 2, 'both nodes indexed')
  const cheapest = await nodesOf(a.url, 'model=llama3&policy=cheapest')
  assert.deepEqual(cheapest.map((n) => n.pubkey), [cheap.pubkey, dear.pubkey])
  const capped = await nodesOf(a.url, 'model=llama3&maxPriceIn=1000000&maxPriceOut=1000000')
  assert.deepEqual(capped.map((n) => n.pubkey), [cheap.pubkey])

  // A job through coordinator A's gateway; its result event reaches B through the relay.
  const openai = new OpenAI({ apiKey: 'unused', baseURL: `${a.url}/v1`, maxRetries: 0 })
  const res = await openai.chat.completions.create({ model: 'llama3', messages: [{ role: 'user', content: 'hi' }] })
  assert.equal(res.choices[0]!.message.content, reply)
  for (const c of [a, b]) {
    await waitFor(async () => (await nodesOf(c.url)).reduce((sum, n) => sum + n.stats.jobs, 0) === 1, 'the job result indexed')
  }
  // Same candidates, signed events and stats. (Scores may differ by the `load` component: each coordinator counts
  // the jobs it routed itself until the node's next heartbeat; A's gateway just routed one.)
  const strip = (list: NodesBody['nodes']) => list.map(({ score: _score, ...rest }) => rest).sort((x, y) => (x.pubkey < y.pubkey ? -1 : 1))
  const [fromA, fromB] = [await nodesOf(a.url), await nodesOf(b.url)]
  assert.deepEqual(strip(fromA), strip(fromB))
  assert.deepEqual((await nodesOf(a.url, 'model=llama3&policy=cheapest')).map((n) => n.pubkey), (await nodesOf(b.url, 'model=llama3&policy=cheapest')).map((n) => n.pubkey))
  const [modelsA, modelsB] = await Promise.all([a.url, b.url].map(async (u) => (await fetch(`${u}/api/v1/models`)).json()))
  assert.deepEqual(modelsA, modelsB)

  // REST job path: a client-signed, encrypted job request POSTed to A is published to relays; the node runs it
  // and B (which never saw the request) follows its status through the SSE stream.
  const client = testSigner('rest-client')
  const job = await buildJobRequest(client, {
    node: cheap.pubkey,
    payload: { v: 1, model: 'llama3', messages: [{ role: 'user', content: 'via relays' }], params: {}, bid: { input: '0', output: '0' }, transport: 'relay' },
  })
  const stream = await fetch(`${b.url}/api/v1/jobs/${job.id}/stream`)
  const submitted = await fetch(`${a.url}/api/v1/jobs`, { method: 'POST', body: JSON.stringify(job) })
  assert.equal(submitted.status, 202)
  assert.deepEqual(await submitted.json(), { id: job.id, node: cheap.pubkey, stream: cheap.streamUrl })
  const sse = await stream.text() // ends after the result event
  assert.match(sse, /event: result/)
  const status = (await (await fetch(`${a.url}/api/v1/jobs/${job.id}`)).json()) as { status: string; node: string; client: string }
  assert.deepEqual([status.status, status.node, status.client], ['success', cheap.pubkey, client.pubkey])
})

test('the gateway keeps the coordinator\'s pick, so its requests spread over the best nodes', async (t) => {
  const relay = await startRelay()
  t.after(() => relay.close())
  const fake = await startFakeOllama({ models: ['llama3'], reply })
  t.after(() => fake.close())
  const nodes = await Promise.all([0, 1, 2].map(() => startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, price: { input: '0', output: '0' } })))
  t.after(() => Promise.all(nodes.map((n) => n.stop())))
  // A fixed sequence of draws instead of Math.random: the spread is then the same on every run.
  let draw = 0
  const draws = [0.1, 0.5, 0.9]
  const coord = await startCoordinator({ relays: [relay.url], random: () => draws[draw++ % draws.length]! })
  t.after(() => coord.close())
  await waitFor(async () => (await nodesOf(coord.url)).length === 3, 'three nodes indexed')

  const openai = new OpenAI({ apiKey: 'unused', baseURL: `${coord.url}/v1`, maxRetries: 0 })
  for (let i = 0; i < 9; i++) {
    const res = await openai.chat.completions.create({ model: 'llama3', messages: [{ role: 'user', content: `request ${i}` }] })
    assert.equal(res.choices[0]!.message.content, reply)
  }
  const done = await Promise.all(nodes.map(async (n) => ((await (await fetch(`${n.streamUrl}/status`, { headers: { authorization: `Bearer ${n.daemon.statusToken}` } })).json()) as { jobs: { done: number } }).jobs.done))
  assert.equal(done.reduce((a, b) => a + b, 0), 9)
  // Re-ranking in the SDK used to send every request to the same node; now no node gets them all.
  assert.ok(done.filter((d) => d > 0).length >= 2, `jobs per node: ${done.join(', ')}`)
})

test('a node killed before the first token is failed over transparently by the gateway', async (t) => {
  const relay = await startRelay()
  t.after(() => relay.close())
  const fake = await startFakeOllama({ models: ['llama3'], reply })
  t.after(() => fake.close())
  const home = tempDir('infernet-node-home-')
  t.after(() => home.remove())
  // The doomed node is free, so every ranking puts it first.
  const doomed = await spawnNodeProcess({ relays: [relay.url], backendUrl: fake.url, backendKind: 'ollama', home: home.path, env: { INFERNET_PRICE_IN: '0', INFERNET_PRICE_OUT: '0' } })
  t.after(() => doomed.stop('SIGKILL'))
  const survivor = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, price: { input: '1', output: '1' } })
  t.after(() => survivor.stop())
  const coord = await startCoordinator({ relays: [relay.url], config: { acceptTimeoutMs: 1000 } })
  t.after(() => coord.close())
  await waitFor(async () => (await nodesOf(coord.url)).length === 2, 'both nodes indexed')
  await doomed.stop('SIGKILL')
  // Its heartbeat is still fresh: the coordinator still offers it, first.
  assert.equal((await nodesOf(coord.url, 'model=llama3&policy=cheapest'))[0]!.pubkey, doomed.pubkey)
  const openai = new OpenAI({ apiKey: 'unused', baseURL: `${coord.url}/v1`, maxRetries: 0 })
  const stream = await openai.chat.completions.create({ model: 'llama3', messages: [{ role: 'user', content: 'hi' }], stream: true })
  let text = ''
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
  assert.equal(text, reply)
  const res = await openai.chat.completions.create({ model: 'llama3', messages: [{ role: 'user', content: 'again' }] })
  assert.equal(res.system_fingerprint, `infernet:${survivor.pubkey.slice(0, 16)}`)
})

test('a coordinator killed with its cache deleted rebuilds the market from relays and routes again', async (t) => {
  const relay = await startRelay()
  t.after(() => relay.close())
  const fake = await startFakeOllama({ models: ['llama3'], reply })
  t.after(() => fake.close())
  const node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url } })
  t.after(() => node.stop())
  const dir = tempDir()
  t.after(() => dir.remove())
  const dbPath = join(dir.path, 'coordinator.db')
  const first = await spawnCoordinatorProcess({ relays: [relay.url], dbPath, home: dir.path })
  t.after(() => first.stop('SIGKILL'))
  await waitFor(async () => (await nodesOf(first.url)).length === 1, 'the node indexed')
  await first.stop('SIGKILL')
  assert.ok(existsSync(dbPath))
  for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) rmSync(f, { force: true })

  const second = await spawnCoordinatorProcess({ relays: [relay.url], dbPath, home: dir.path })
  t.after(() => second.stop())
  const nodes = await waitFor(async () => {
    const n = await nodesOf(second.url)
    return n.length === 1 && n
  }, 'the market rebuilt from relays')
  assert.equal(nodes[0]!.pubkey, node.pubkey)
  const routed = (await (await fetch(`${second.url}/api/v1/jobs`, { method: 'POST', body: JSON.stringify({ model: 'llama3' }) })).json()) as { node: { pubkey: string } }
  assert.equal(routed.node.pubkey, node.pubkey)
  const openai = new OpenAI({ apiKey: 'unused', baseURL: `${second.url}/v1`, maxRetries: 0 })
  const res = await openai.chat.completions.create({ model: 'llama3', messages: [{ role: 'user', content: 'hi' }] })
  assert.equal(res.choices[0]!.message.content, reply)
  await second.stop('SIGTERM')
  assert.equal(second.child.exitCode, 0, 'SIGTERM is a graceful stop')
})
