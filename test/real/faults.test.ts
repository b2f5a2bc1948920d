// The real engine misbehaving under a node: a client hanging up mid-stream, a prompt longer than the engine's
// context, the engine still loading its model, and the engine killed in the middle of a stream. Each time the
// caller gets a specific answer, the engine is not left working for nobody, and the node comes back when the
// engine does. Each test serves its own model id, so a node stopped by an earlier test (still in the market until
// its heartbeat expires) is never a candidate.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import OpenAI, { APIError } from 'openai'
import { startCoordinator, type TestCoordinator } from '../helpers/coordinator.ts'
import { createTestClient } from '../helpers/client.ts'
import { engine, engineMissingHint, freePort, startLlamaServer, tempModelDir } from '../helpers/engine/llamaServer.ts'
import { tinyModels, writeTinyModel } from '../helpers/engine/tinyModel.ts'
import { waitFor } from '../helpers/network.ts'
import { startNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const skip = engine() ? false : engineMissingHint
const now = () => Math.floor(Date.now() / 1000)
const messages = [{ role: 'user' as const, content: 'Keep talking about the network.' }]

type Slot = { id: number; is_processing: boolean }
async function slots(url: string): Promise<Slot[]> {
  return (await (await fetch(`${url}/slots`)).json()) as Slot[]
}

describe('real engine faults', { skip }, () => {
  let relay: TestRelay
  let coord: TestCoordinator
  let openai: OpenAI
  const models = tempModelDir()
  const modelA = join(models.path, 'tiny-a.gguf')

  before(async () => {
    writeTinyModel(modelA, tinyModels.a)
    relay = await startRelay()
    coord = await startCoordinator({ relays: [relay.url] })
    openai = new OpenAI({ apiKey: 'unused', baseURL: `${coord.url}/v1`, maxRetries: 0 })
  })
  after(async () => {
    await coord?.close()
    await relay?.close()
    models.remove()
  })

  it('a client that hangs up frees the engine\'s only slot, and the node takes the next job', async (t) => {
    // One slot with a long context: an unstopped job would keep the engine busy for seconds.
    const llama = await startLlamaServer({ model: modelA, alias: 'tiny-cancel', ctx: 65536, parallel: 1 })
    t.after(() => llama.stop())
    const node = await startNode({ relays: [relay.url], backend: { kind: 'llamacpp', baseUrl: llama.url } })
    t.after(() => node.stop())
    await waitFor(() => coord.coordinator.market.hasModel('tiny-cancel', now()), 'the node in the market')
    const stream = await openai.chat.completions.create({ model: 'tiny-cancel', messages, max_tokens: 60_000, stream: true })
    let received = ''
    for await (const chunk of stream) {
      received += chunk.choices[0]?.delta.content ?? ''
      // Leaving the loop aborts the HTTP request: the caller hung up.
      if (received.length > 0) break
    }
    assert.ok(received.length > 0)
    await waitFor(() => /cancel task/.test(llama.logs()), 'the engine to cancel the task')
    await waitFor(async () => (await slots(llama.url)).every((s) => !s.is_processing), 'the slot to be free')
    const next = await openai.chat.completions.create({ model: 'tiny-cancel', messages, max_tokens: 8, temperature: 0 })
    assert.equal(next.usage?.completion_tokens, 8)
    assert.equal(next.choices[0]!.finish_reason, 'length')
  })

  it('a prompt longer than the engine\'s context gets a specific 400, and the node stays in service', async (t) => {
    const llama = await startLlamaServer({ model: modelA, alias: 'tiny-ctx', ctx: 2048, parallel: 2 })
    t.after(() => llama.stop())
    const node = await startNode({ relays: [relay.url], backend: { kind: 'llamacpp', baseUrl: llama.url } })
    t.after(() => node.stop())
    await waitFor(() => coord.coordinator.market.nodes.get(node.pubkey)?.heartbeat, 'the node in the market')
    // Every byte is a token for the tiny vocabulary: 3,000 characters is far beyond 1,024 tokens a slot.
    const long = [{ role: 'user' as const, content: 'word '.repeat(600) }]
    const err = await openai.chat.completions.create({ model: 'tiny-ctx', messages: long, max_tokens: 8 }).then(
      () => assert.fail('the long prompt was served'),
      (e: unknown) => e,
    )
    assert.ok(err instanceof APIError, String(err))
    assert.equal(err.status, 400)
    assert.equal(err.code, 'context_length_exceeded')
    assert.equal(err.param, 'messages')
    // The engine's own figures reach the caller; the backend's address does not.
    assert.match(err.message, /does not fit the model's context.*\(\d+ tokens\) exceeds the available context size \(1024 tokens\)/)
    assert.doesNotMatch(err.message, /127\.0\.0\.1/)
    // The caller's mistake is not the node's failure: it stays in routing with no failure counted.
    assert.equal(node.daemon.stats().jobs.failed, 0)
    const ok = await openai.chat.completions.create({ model: 'tiny-ctx', messages, max_tokens: 4, temperature: 0 })
    assert.equal(ok.usage?.completion_tokens, 4)
  })

  it('an engine still loading its model: the node says unhealthy and announces nothing, then registers when it is up', async (t) => {
    const port = await freePort()
    // A FIFO nobody writes: llama-server listens, then blocks reading the model, answering 503 "Loading model".
    const fifo = join(models.path, 'loading.gguf')
    execFileSync('mkfifo', [fifo])
    const loading = await startLlamaServer({ model: fifo, port, waitListening: false })
    t.after(() => loading.stop('SIGKILL'))
    const url = `http://127.0.0.1:${port}`
    await waitFor(async () => (await fetch(`${url}/health`).catch(() => undefined))?.status === 503, 'the engine to answer 503 while loading')
    const node = await startNode({ relays: [relay.url], backend: { kind: 'llamacpp', baseUrl: url }, config: { heartbeatInterval: 2 } })
    t.after(() => node.stop())
    assert.equal(node.daemon.stats().backend.healthy, false)
    assert.deepEqual(node.daemon.stats().models, [])
    const refused = await openai.chat.completions.create({ model: 'tiny-late', messages, max_tokens: 4 }).then(
      () => assert.fail('served by a loading engine'),
      (e: unknown) => e,
    )
    assert.ok(refused instanceof APIError && refused.status === 404, String(refused))
    assert.match(refused.message, /tiny-late/)

    await loading.stop('SIGKILL')
    const ready = await startLlamaServer({ model: modelA, alias: 'tiny-late', port })
    t.after(() => ready.stop())
    await waitFor(() => coord.coordinator.market.hasModel('tiny-late', now()), 'the node to register once the engine is up', 20_000)
    assert.equal(node.daemon.stats().backend.healthy, true)
    const res = await openai.chat.completions.create({ model: 'tiny-late', messages, max_tokens: 4, temperature: 0 })
    assert.equal(res.usage?.completion_tokens, 4)
  })

  it('the engine killed mid-stream: the stream resumes on another node, the node reports unhealthy, then recovers', async (t) => {
    const engines = await Promise.all([0, 1].map(async () => {
      const port = await freePort()
      return { port, server: await startLlamaServer({ model: modelA, alias: 'tiny-kill', port, ctx: 8192, parallel: 1 }) }
    }))
    t.after(() => Promise.all(engines.map((e) => e.server.stop())))
    const nodes = await Promise.all(engines.map((e) => startNode({ relays: [relay.url], backend: { kind: 'llamacpp', baseUrl: e.server.url }, config: { heartbeatInterval: 2 } })))
    t.after(() => Promise.all(nodes.map((n) => n.stop())))
    const client = createTestClient({ relays: [relay.url], name: 'real-kill' })
    t.after(() => client.close())
    const pubkeys = nodes.map((n) => n.pubkey)
    await waitFor(async () => (await client.nodes({ model: 'tiny-kill' })).filter((n) => n.live && pubkeys.includes(n.pubkey)).length === 2, 'both nodes live')

    const stream = client.chat({ model: 'tiny-kill', messages, params: { max_tokens: 3000, temperature: 0 } })
    let text = ''
    let victim = -1
    for await (const delta of stream) {
      text += delta.text
      if (victim < 0) {
        // The engine with a busy slot runs this job: kill it with its stream open.
        const busy = await Promise.all(engines.map(async (e) => (await slots(e.server.url)).some((s) => s.is_processing)))
        victim = busy.indexOf(true)
        assert.ok(victim >= 0, 'one engine runs the job')
        await engines[victim]!.server.stop('SIGKILL')
      }
    }
    const result = await stream.result
    const survivor = 1 - victim
    assert.equal(result.resumed, true, 'the stream went on elsewhere')
    assert.equal(result.node, pubkeys[survivor])
    assert.equal(result.text, text)
    assert.deepEqual(result.jobs.map((j) => [j.node, j.outcome]), [[pubkeys[victim], 'failed-mid-stream'], [pubkeys[survivor], 'ok']])

    const dead = nodes[victim]!
    await waitFor(() => dead.daemon.stats().backend.healthy === false, 'the node to report its engine down')
    engines[victim]!.server = await startLlamaServer({ model: modelA, alias: 'tiny-kill', port: engines[victim]!.port, ctx: 8192, parallel: 1 })
    await waitFor(() => dead.daemon.stats().backend.healthy === true, 'the node to see its engine back')
    // The client routes to it again once a heartbeat says its engine is back: until the market has seen one, a
    // pinned request finds no candidate (NoNodeForModelError), so the request is repeated until that event.
    const again = await waitFor(() => client.complete({ model: 'tiny-kill', messages, params: { max_tokens: 5, temperature: 0 }, routing: { pin: dead.pubkey } }), 'a pinned job to reach the recovered node')
    assert.equal(again.node, dead.pubkey)
    assert.equal(again.usage.completionTokens, 5)
  })
})
