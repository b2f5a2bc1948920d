// End to end, happy path. Processes: our relay, three node agents and two coordinators are SPAWNED
// (`infernet relay|start|coordinator`); the third-party relay (@nostr-relay/core on SQLite), the fake backends
// and the clients (SDK, official `openai` package) run in this process. Jobs go through the SDK (relays only,
// and via a coordinator's node list) and through both gateways, streaming and not; then every relay database
// file and every captured process log is searched for the unique prompt markers: prompts never appear in
// plain text anywhere but at the backend (the positive control).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import OpenAI from 'openai'
import { defaultReply, model, newMarker, startTestNetwork, waitFor, type TestNetwork } from '../helpers/network.ts'
import { amountDue } from '../../src/protocol/price.ts'
import { waitForLive } from '../helpers/client.ts'
import { scaled } from '../helpers/timeScale.ts'

describe('e2e: happy path over two relays, two coordinators, three nodes', () => {
  let net: TestNetwork
  const markers: string[] = []
  const prompt = () => {
    const m = newMarker()
    markers.push(m)
    return `Please answer the secret question ${m} in one sentence.`
  }

  before(async () => {
    net = await startTestNetwork({
      // Debug logs: the most a process ever writes, so the leak search below covers every log line it has.
      logLevel: 'debug',
      nodes: [
        { name: 'fast', ttftMs: 0, tokensPerSecond: 0, price: { input: '0', output: '0' } },
        { name: 'medium', backend: 'vllm', ttftMs: 30, tokensPerSecond: 400, price: { input: '10', output: '20' } },
        { name: 'slow', ttftMs: 100, tokensPerSecond: 100, price: { input: '50', output: '100' } },
      ],
    })
    for (const c of net.coordinators) await net.waitForIndexed(c.url, 3)
  })
  after(() => net?.close())

  it('SDK, relays only: streaming and not, every node reachable', async () => {
    const client = net.client({ name: 'e2e-happy-relays' })
    await waitForLive(client, net.nodes.map((n) => n.pubkey), { model, timeoutMs: 10_000 })
    const marker = newMarker()
    markers.push(marker)
    const stream = client.chat({ model, messages: [{ role: 'user', content: `stream ${marker}` }] })
    let text = ''
    for await (const d of stream) text += d.text
    const result = await stream.result
    assert.equal(text, defaultReply)
    assert.equal(result.text, defaultReply)
    assert.equal(net.backendCalls(marker), 1, 'the job ran exactly once')

    // Pin each node once: all three serve, with their own price in the verified result.
    for (const node of net.nodes) {
      const r = await client.complete({ model, messages: [{ role: 'user', content: prompt() }], routing: { pin: node.pubkey } })
      assert.equal(r.node, node.pubkey)
      assert.equal(r.text, defaultReply)
      assert.equal(r.jobs.length, 1)
      assert.equal(r.jobs[0]!.transport, 'direct')
      const price = node.spec.price!
      const expected = amountDue(r.usage, price)
      assert.equal(r.cost, expected, `cost of ${node.spec.name}`)
    }
    assert.equal(net.markerCounts().size, markers.length)
  })

  it('SDK with a coordinator as the node source', async () => {
    // A node slow to accept on a loaded machine would make the SDK fail over to a dearer one: give it time.
    const client = net.client({ name: 'e2e-happy-coord', coordinator: net.coordinators[1]!.url, acceptTimeoutMs: scaled(10_000) })
    const r = await client.complete({ model, messages: [{ role: 'user', content: prompt() }], routing: 'cheapest' })
    assert.equal(r.text, defaultReply)
    assert.equal(r.node, net.nodes[0]!.pubkey, 'cheapest is the free node')
  })

  it('both gateways with the openai package, streaming and not', async () => {
    for (const coordinator of net.coordinators) {
      const openai = new OpenAI({ apiKey: 'unused', baseURL: `${coordinator.url}/v1`, maxRetries: 0 })
      const res = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: prompt() }] })
      assert.equal(res.choices[0]!.message.content, defaultReply)
      assert.ok(res.usage && res.usage.completion_tokens > 0)
      const stream = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: prompt() }], stream: true })
      let text = ''
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
      assert.equal(text, defaultReply)
    }
  })

  it('jobs are indexed by both coordinators from the relays', async () => {
    for (const c of net.coordinators) {
      await waitFor(async () => {
        const body = (await (await fetch(`${c.url}/api/v1/nodes?model=${model}`)).json()) as { nodes: { stats: { jobs: number } }[] }
        return body.nodes.reduce((s, n) => s + n.stats.jobs, 0) >= 8
      }, 'results indexed')
    }
  })

  it('no prompt marker is stored by either relay or written to any process log', async () => {
    // Positive control: every marker reached a backend in plain text.
    for (const m of markers) assert.ok(net.backendCalls(m) >= 1, `marker ${m} reached a backend`)
    // Let the relays and processes flush.
    await new Promise((r) => setTimeout(r, 300))
    const storage = net.relayStorage()
    assert.ok(storage.length > 0, 'relay databases exist')
    assert.ok(storage.includes(Buffer.from('"kind":33830')) || storage.includes(Buffer.from(net.nodes[0]!.pubkey)), 'the relays did store network events')
    const logs = [...net.nodes.map((n) => n.logs()), ...net.coordinators.map((c) => c.logs())]
    assert.ok(logs.join('').length > 0, 'the processes did log something')
    for (const m of markers) {
      assert.equal(storage.includes(Buffer.from(m)), false, `relay storage holds prompt marker ${m}`)
      for (const l of logs) assert.equal(l.includes(m), false, `a log holds prompt marker ${m}`)
      // The reply is not a secret here, but the output must not be logged either.
    }
    for (const l of logs) assert.equal(l.includes(defaultReply), false, 'a log holds the model output')
  })
})
