// Saturation is not "no node" (issue 15, item 10): a coordinator with its gateway, a relay and two nodes with one
// slot each (fake Ollama backends that hang on demand, so slots and queues fill deterministically). A node whose
// heartbeat shows its slot taken and jobs queued, with queue places left, still gets jobs: callers are queued, none
// is told 503. A node whose slot and queue are full makes the gateway answer 503 `busy` with Retry-After, not
// "no node serves this model". (Before: the coordinator dropped the node until its next heartbeat; 12% of
// requests got 503 with 4 concurrent clients on one node with 16 queue places.)
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startCoordinator, type TestCoordinator } from '../helpers/coordinator.ts'
import { startFakeOllama, type FakeOllamaServer } from '../helpers/fakeBackends/ollama.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

type Call = { controller: AbortController; response: Promise<Response | Error>; settled: boolean }

describe('e2e: a busy node is not "no node"', () => {
  let relay: TestRelay
  let roomyBackend: FakeOllamaServer
  let tightBackend: FakeOllamaServer
  let roomy: TestNode
  let tight: TestNode
  let coord: TestCoordinator
  const calls: Call[] = []

  before(async () => {
    relay = await startRelay()
    roomyBackend = await startFakeOllama({ models: ['roomy'], reply: 'queued and then served' })
    tightBackend = await startFakeOllama({ models: ['tight'], reply: 'never seen', faults: { hang: true } })
    roomy = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: roomyBackend.url }, maxConcurrency: 1, maxQueue: 16 })
    tight = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: tightBackend.url }, maxConcurrency: 1, maxQueue: 1 })
    coord = await startCoordinator({ relays: [relay.url] })
    const now = () => Math.floor(Date.now() / 1000)
    await until(() => coord.coordinator.market.hasModel('roomy', now()) && coord.coordinator.market.hasModel('tight', now()), 'both nodes in the market')
  })
  after(async () => {
    for (const c of calls) c.controller.abort()
    await Promise.all(calls.map((c) => c.response))
    await coord?.close()
    await roomy?.stop()
    await tight?.stop()
    await roomyBackend?.close()
    await tightBackend?.close()
    await relay?.close()
  })

  const call = (model: string, content: string): Call => {
    const controller = new AbortController()
    const c: Call = {
      controller,
      settled: false,
      response: fetch(`${coord.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content }] }),
        signal: controller.signal,
      }).then(
        (r) => r,
        (err: Error) => err,
      ),
    }
    void c.response.then(() => (c.settled = true))
    calls.push(c)
    return c
  }
  /** Publishes the node's heartbeat now and waits until the coordinator routes by it. */
  const heartbeatIndexed = async (node: TestNode) => {
    // Replaceable events: one from the same second as the heartbeat held loses to it when its id is higher.
    const held = coord.coordinator.market.nodes.get(node.pubkey)!.heartbeatEvent!.created_at
    await until(() => Math.floor(Date.now() / 1000) > held, 'a second after the heartbeat held')
    const event = (await node.daemon.heartbeat())!
    await until(() => coord.coordinator.market.nodes.get(node.pubkey)?.heartbeatEvent?.id === event.id, 'the heartbeat indexed')
    return coord.coordinator.market.nodes.get(node.pubkey)!.heartbeat!
  }

  it('a taken slot with queue places left still takes jobs: 8 concurrent callers, no 503', async () => {
    roomyBackend.setFaults({ hang: true })
    const first = call('roomy', 'first, holds the slot')
    await until(() => roomyBackend.stats.chats === 1, 'the first job on the backend')
    const queued = [1, 2, 3].map((i) => call('roomy', `queued ${i}`))
    await until(() => roomy.daemon.stats().queued === 3, 'three jobs queued')
    // The coordinator now sees the node as the old rule called full: no free slot, a queue as long as the slots.
    const hb = await heartbeatIndexed(roomy)
    assert.deepEqual([hb.slots.free, hb.queue], [0, 3])
    const later = [4, 5, 6, 7].map((i) => call('roomy', `after the heartbeat ${i}`))
    await until(() => roomy.daemon.stats().queued === 7 || later.some((c) => c.settled), 'the later callers queued (or answered)')
    for (const c of later.filter((x) => x.settled)) {
      const r = (await c.response) as Response
      assert.fail(`a caller was answered ${r.status} ${await r.text()} while the node had queue places`)
    }
    // Free the slot: the queued jobs run one by one and every caller is answered.
    roomyBackend.setFaults({})
    first.controller.abort()
    for (const c of [...queued, ...later]) {
      const r = await c.response
      assert.ok(r instanceof Response, String(r))
      assert.equal(r.status, 200, await r.clone().text())
      assert.match(await r.text(), /queued and then served/)
    }
  })

  it('a node with its slot and queue full: 503 busy with Retry-After, not "no node serves this model"', async () => {
    call('tight', 'holds the slot')
    await until(() => tightBackend.stats.chats === 1, 'the first job on the backend')
    call('tight', 'holds the only queue place')
    await until(() => tight.daemon.stats().queued === 1, 'the queue full')
    const hb = await heartbeatIndexed(tight)
    assert.deepEqual([hb.slots.free, hb.queue], [0, 1])
    const res = await call('tight', 'no room for me').response
    assert.ok(res instanceof Response)
    assert.equal(res.status, 503)
    const retryAfter = Number(res.headers.get('retry-after'))
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `retry-after ${res.headers.get('retry-after')}`)
    const { error } = (await res.json()) as { error: { code: string; message: string } }
    assert.equal(error.code, 'busy')
    assert.match(error.message, /busy .*slots and queue places are taken/)
    // The model is still known: it is busy, not missing.
    const models = (await (await fetch(`${coord.url}/v1/models`)).json()) as { data: { id: string }[] }
    assert.ok(models.data.some((m) => m.id === 'tight'))
  })
})
