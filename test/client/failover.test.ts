// Failover before the first token (a node that never accepts, a backend answering 503, a node that is gone),
// and mid-stream failure: continuation on another node gives the full text, or a clean error with resume off.
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { StreamInterruptedError } from '../../client/errors.ts'
import type { Price } from '../../src/protocol/schema.ts'
import { createTestClient, waitForLive } from '../helpers/client.ts'
import { startFakeOllama, type StartFakeOllamaOptions } from '../helpers/fakeBackends/ollama.ts'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnNodeProcess, startNode } from '../helpers/node.ts'
import { startRelay } from '../helpers/relay.ts'
import { startLyingNode } from './lyingNode.ts'

const cheap: Price = { input: '0', output: '0' }
const dear: Price = { input: '1', output: '1' }
const reply = 'The quick brown fox jumps over the lazy dog and then it runs far away into the woods.'
const messages = [{ role: 'user' as const, content: 'tell me about the fox' }]

async function relayFor(t: TestContext) {
  const relay = await startRelay()
  t.after(() => relay.close())
  return relay
}

async function nodeWith(t: TestContext, relayUrl: string, price: Price, fakeOptions: StartFakeOllamaOptions = {}) {
  const fake = await startFakeOllama({ models: ['llama3'], reply, ...fakeOptions })
  t.after(() => fake.close())
  const node = await startNode({ relays: [relayUrl], backend: { kind: 'ollama', baseUrl: fake.url }, price })
  t.after(() => node.stop())
  return { fake, node }
}

test('a node that never accepts is skipped after acceptTimeoutMs', async (t) => {
  const relay = await relayFor(t)
  const silent = await startLyingNode({ relays: [relay.url], model: 'llama3', price: cheap, lie: 'silent' })
  t.after(() => silent.close())
  const good = await nodeWith(t, relay.url, dear)
  const client = createTestClient({ relays: [relay.url], routing: 'cheapest', acceptTimeoutMs: 500 })
  t.after(() => client.close())
  await waitForLive(client, [silent.pubkey, good.node.pubkey])
  const result = await client.complete({ model: 'llama3', messages })
  assert.equal(silent.jobs, 1)
  assert.equal(result.node, good.node.pubkey)
  assert.equal(result.text, reply)
  assert.deepEqual(result.jobs.map((j) => [j.node, j.outcome]), [[silent.pubkey, 'failed-before-first-token'], [good.node.pubkey, 'ok']])
  assert.match(result.jobs[0]!.reason!, /not accepted within 500 ms/)
  assert.equal(result.resumed, false)
})

test('a backend answering 503 fails over without the caller noticing', async (t) => {
  const relay = await relayFor(t)
  const bad = await nodeWith(t, relay.url, cheap, { faults: { loading503: 100 } })
  const good = await nodeWith(t, relay.url, dear)
  const client = createTestClient({ relays: [relay.url], routing: 'cheapest' })
  t.after(() => client.close())
  await waitForLive(client, [bad.node.pubkey, good.node.pubkey])
  const stream = client.chat({ model: 'llama3', messages })
  let text = ''
  for await (const d of stream) text += d.text
  const result = await stream.result
  assert.equal(text, reply)
  assert.equal(result.node, good.node.pubkey)
  assert.equal(result.jobs[0]!.node, bad.node.pubkey)
  assert.equal(result.jobs[0]!.outcome, 'failed-before-first-token')
  assert.match(result.jobs[0]!.reason!, /backend/)
  assert.ok(bad.fake.stats.chats >= 1)
})

test('a node that is gone (socket refused, heartbeat still fresh) is skipped', async (t) => {
  const relay = await relayFor(t)
  const gone = await nodeWith(t, relay.url, cheap)
  const good = await nodeWith(t, relay.url, dear)
  const client = createTestClient({ relays: [relay.url], routing: 'cheapest', acceptTimeoutMs: 500 })
  t.after(() => client.close())
  await waitForLive(client, [gone.node.pubkey, good.node.pubkey])
  await gone.node.stop()
  const result = await client.complete({ model: 'llama3', messages })
  assert.equal(result.node, good.node.pubkey)
  assert.equal(result.text, reply)
  assert.equal(result.jobs[0]!.node, gone.node.pubkey)
  assert.equal(result.jobs[0]!.outcome, 'failed-before-first-token')
  // The direct socket was refused, so the job went through relays before the client gave up on it.
  assert.equal(result.jobs[0]!.transport, 'relay')
})

test('mid-stream failure: the stream continues on another node with the delivered text as prefix', async (t) => {
  const relay = await relayFor(t)
  const dropping = await nodeWith(t, relay.url, cheap, { tokensPerSecond: 200 })
  dropping.fake.setFaults({ dropAfter: 6 })
  // The second node continues: its fake backend answers with what is left after the assistant prefix.
  const continuing = await nodeWith(t, relay.url, dear, {
    reply: (body) => {
      const msgs = body.messages as { role: string; content: string }[]
      const last = msgs[msgs.length - 1]!
      return last.role === 'assistant' ? reply.slice(last.content.length) : reply
    },
  })
  const client = createTestClient({ relays: [relay.url], routing: 'cheapest' })
  t.after(() => client.close())
  await waitForLive(client, [dropping.node.pubkey, continuing.node.pubkey])
  const stream = client.chat({ model: 'llama3', messages })
  const deltas: string[] = []
  for await (const d of stream) deltas.push(d.text)
  const result = await stream.result
  assert.equal(deltas.join(''), reply)
  assert.equal(result.text, reply)
  assert.equal(result.resumed, true)
  assert.equal(result.node, continuing.node.pubkey)
  assert.deepEqual(result.jobs.map((j) => j.outcome), ['failed-mid-stream', 'ok'])
  const body = continuing.fake.stats.lastChatBody as { messages: { role: string; content: string }[] }
  const prefix = body.messages[body.messages.length - 1]!
  assert.equal(prefix.role, 'assistant')
  assert.ok(prefix.content.length > 0 && reply.startsWith(prefix.content))
})

test('mid-stream failure with resume off ends with a clean StreamInterruptedError', async (t) => {
  const relay = await relayFor(t)
  const dropping = await nodeWith(t, relay.url, cheap, { tokensPerSecond: 200 })
  dropping.fake.setFaults({ dropAfter: 6 })
  const other = await nodeWith(t, relay.url, dear)
  const client = createTestClient({ relays: [relay.url], routing: 'cheapest', resume: false })
  t.after(() => client.close())
  await waitForLive(client, [dropping.node.pubkey, other.node.pubkey])
  const stream = client.chat({ model: 'llama3', messages })
  let text = ''
  await assert.rejects(
    (async () => {
      for await (const d of stream) text += d.text
    })(),
    (err: unknown) => err instanceof StreamInterruptedError && /Resumption is off/.test(err.message),
  )
  await assert.rejects(stream.result, StreamInterruptedError)
  assert.ok(text.length > 0 && reply.startsWith(text) && text.length < reply.length)
  assert.equal(other.fake.stats.chats, 0)
})

test('a node process killed (SIGKILL) mid-stream: the stream resumes on another node', async (t) => {
  const relay = await relayFor(t)
  const slow = await startFakeOllama({ models: ['llama3'], reply, tokensPerSecond: 30 })
  t.after(() => slow.close())
  const home = mkdtempSync(join(tmpdir(), 'infernet-client-kill-'))
  t.after(() => rmSync(home, { recursive: true, force: true }))
  const doomed = await spawnNodeProcess({ relays: [relay.url], backendUrl: slow.url, backendKind: 'ollama', home, args: ['--price', '0,0'] })
  t.after(() => doomed.stop('SIGKILL'))
  const continuing = await nodeWith(t, relay.url, dear, {
    reply: (body) => {
      const msgs = body.messages as { role: string; content: string }[]
      const last = msgs[msgs.length - 1]!
      return last.role === 'assistant' ? reply.slice(last.content.length) : reply
    },
  })
  const client = createTestClient({ relays: [relay.url], routing: 'cheapest' })
  t.after(() => client.close())
  await waitForLive(client, [doomed.pubkey, continuing.node.pubkey])
  const stream = client.chat({ model: 'llama3', messages })
  let text = ''
  let killed = false
  for await (const d of stream) {
    text += d.text
    if (!killed && text.length > 10) {
      killed = true
      doomed.child.kill('SIGKILL')
    }
  }
  const result = await stream.result
  assert.equal(text, reply)
  assert.equal(result.resumed, true)
  assert.deepEqual(result.jobs.map((j) => [j.node, j.outcome]), [[doomed.pubkey, 'failed-mid-stream'], [continuing.node.pubkey, 'ok']])
})
