// End to end, chaos. Processes: our relay, three node agents and a coordinator are SPAWNED and killed with
// SIGKILL; the third-party relay, fake backends and clients run in this process. A node killed before its first
// token (the client fails over), killed mid-stream (the client resumes on another node), a node whose backend
// hangs (clear typed error when pinned, failover otherwise, the backend request is cancelled), a coordinator
// killed with its cache deleted (rebuilds from relays and routes again), our relay killed (the network keeps
// working through the third-party relay). Backend request counts per prompt marker prove no job ran twice.
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import OpenAI from 'openai'
import { AllCandidatesFailedError } from '../../client/errors.ts'
import { waitForLive } from '../helpers/client.ts'
import { model, newMarker, startTestNetwork, waitFor, type NetworkNode, type TestNetwork } from '../helpers/network.ts'

const longReply = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ') + '.'

describe('e2e: chaos', () => {
  let net: TestNetwork
  let slow: NetworkNode
  let fast: NetworkNode
  let backup: NetworkNode
  const pubkeys = () => net.nodes.map((n) => n.pubkey)

  before(async () => {
    net = await startTestNetwork({
      coordinators: 1,
      nodes: [
        // The cheapest node is slow: 'cheapest' routing always tries it first. The shared score (nips/routing.md)
        // weighs price against its 1,000,000 reference, so the others cost that much more, enough to outweigh
        // the slow node's measured speed once it has served a job.
        { name: 'slow', ttftMs: 1000, tokensPerSecond: 25, reply: longReply, price: { input: '0', output: '0' } },
        { name: 'fast', ttftMs: 0, tokensPerSecond: 0, price: { input: '2000000', output: '2000000' } },
        { name: 'backup', backend: 'vllm', ttftMs: 10, tokensPerSecond: 500, price: { input: '4000000', output: '4000000' } },
      ],
    })
    ;[slow, fast, backup] = net.nodes as [NetworkNode, NetworkNode, NetworkNode]
    await net.waitForIndexed(net.coordinators[0]!.url, 3)
  })
  after(() => net?.close())

  it('a node SIGKILLed before its first token: the client fails over to the next node', async () => {
    const client = net.client({ name: 'e2e-chaos-pre', routing: 'cheapest' })
    await waitForLive(client, pubkeys(), { model, timeoutMs: 10_000 })
    const marker = newMarker()
    const chatsBefore = slow.backend.stats.chats
    const stream = client.chat({ model, messages: [{ role: 'user', content: `first token ${marker}` }] })
    // The job reached the slow node's backend (ttft 1 s): kill the node before any token.
    await waitFor(() => slow.backend.stats.chats > chatsBefore, 'the job on the slow node')
    await slow.kill('SIGKILL')
    const result = await stream.result
    assert.notEqual(result.node, slow.pubkey)
    assert.equal(result.jobs[0]!.node, slow.pubkey)
    assert.equal(result.jobs[0]!.outcome, 'failed-before-first-token')
    assert.equal(result.jobs.at(-1)!.outcome, 'ok')
    assert.equal(result.resumed, false)
    // The restarted node may see the job request again on a relay: it must not run it a second time.
    await slow.restart()
    await waitForLive(client, [slow.pubkey], { model, timeoutMs: 10_000 })
    await new Promise((r) => setTimeout(r, 1000))
    assert.equal(net.backendCalls(marker), result.jobs.length, 'one backend run per job, none twice')
  })

  it('a node SIGKILLed mid-stream: the client resumes on another node', async () => {
    const client = net.client({ name: 'e2e-chaos-mid', routing: 'cheapest' })
    await waitForLive(client, pubkeys(), { model, timeoutMs: 10_000 })
    const marker = newMarker()
    const stream = client.chat({ model, messages: [{ role: 'user', content: `mid stream ${marker}` }] })
    let text = ''
    let killed = false
    for await (const d of stream) {
      text += d.text
      if (!killed && text.length > 10) {
        killed = true
        await slow.kill('SIGKILL')
      }
    }
    const result = await stream.result
    assert.ok(killed)
    assert.equal(result.resumed, true)
    assert.equal(result.jobs[0]!.node, slow.pubkey)
    assert.equal(result.jobs[0]!.outcome, 'failed-mid-stream')
    assert.notEqual(result.node, slow.pubkey)
    assert.equal(text, result.text, 'the caller saw exactly the final text')
    assert.ok(result.text.startsWith('word0 word1'), 'the first node\'s tokens come first')
    assert.ok(result.text.length > 10)
    await slow.restart()
    await waitForLive(client, [slow.pubkey], { model, timeoutMs: 10_000 })
    await new Promise((r) => setTimeout(r, 1000))
    assert.equal(net.backendCalls(marker), result.jobs.length, 'one backend run per job, none twice (also after the restart)')
  })

  it('a node whose backend hangs: a clear typed error when pinned, failover otherwise, the backend call is cancelled', async () => {
    const client = net.client({ name: 'e2e-chaos-hang', routing: 'cheapest', firstTokenTimeoutMs: 1500, acceptTimeoutMs: 1500 })
    await waitForLive(client, pubkeys(), { model, timeoutMs: 10_000 })
    slow.backend.setFaults({ hang: true })
    try {
      const started = Date.now()
      await assert.rejects(client.complete({ model, messages: [{ role: 'user', content: `hang ${newMarker()}` }], routing: { pin: slow.pubkey } }), (err: unknown) => {
        assert.ok(err instanceof AllCandidatesFailedError, String(err))
        assert.equal(err.code, 'all-candidates-failed')
        assert.equal(err.failures.length, 1)
        assert.equal(err.failures[0]!.node, slow.pubkey)
        return true
      })
      assert.ok(Date.now() - started < 10_000, 'no hang')
      const r = await client.complete({ model, messages: [{ role: 'user', content: `hang then failover ${newMarker()}` }] })
      assert.notEqual(r.node, slow.pubkey)
      assert.equal(r.jobs[0]!.node, slow.pubkey)
      // The node cancels the backend request of the abandoned jobs.
      await waitFor(() => slow.backend.stats.activeStreams === 0, 'hung backend requests closed', 10_000)
    } finally {
      slow.backend.setFaults({})
    }
  })

  it('a coordinator SIGKILLed with its cache deleted rebuilds from relays and routes again', async () => {
    const coordinator = net.coordinators[0]!
    await coordinator.kill('SIGKILL')
    for (const f of [coordinator.dbPath, `${coordinator.dbPath}-wal`, `${coordinator.dbPath}-shm`]) rmSync(f, { force: true })
    await coordinator.restart()
    await net.waitForIndexed(coordinator.url, 3)
    const openai = new OpenAI({ apiKey: 'unused', baseURL: `${coordinator.url}/v1`, maxRetries: 0 })
    const marker = newMarker()
    const res = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: `after restart ${marker}` }] })
    assert.ok(res.choices[0]!.message.content)
    assert.equal(net.backendCalls(marker), 1)
  })

  it('our relay SIGKILLed: jobs keep flowing through the third-party relay (SDK and gateway)', async () => {
    await net.ours.stop('SIGKILL')
    const client = net.client({ name: 'e2e-chaos-relay', routing: 'cheapest' })
    await waitForLive(client, pubkeys(), { model, timeoutMs: 10_000 })
    for (const node of [fast, backup]) {
      const marker = newMarker()
      const r = await client.complete({ model, messages: [{ role: 'user', content: `one relay left ${marker}` }], routing: { pin: node.pubkey } })
      assert.equal(r.node, node.pubkey)
      assert.equal(net.backendCalls(marker), 1)
    }
    const openai = new OpenAI({ apiKey: 'unused', baseURL: `${net.coordinators[0]!.url}/v1`, maxRetries: 0 })
    const stream = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: `gateway ${newMarker()}` }], stream: true })
    let text = ''
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
    assert.ok(text.length > 0)
  })
})
