// The real daemon against our relay on loopback and a fake Ollama: happy paths over WS, SSE and the relay
// transport, dedupe across transports, capability and heartbeat content.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import WebSocket from 'ws'
import { createRelayPool, type RelayPool, type WebSocketConstructor } from '../../src/net/relayPool.ts'
import { buildAuthEvent } from '../../src/protocol/auth.ts'
import { wsUrl } from '../../src/protocol/frames.ts'
import { parseCapability } from '../../src/protocol/capability.ts'
import type { NostrEvent } from '../../src/protocol/event.ts'
import { parseHeartbeat } from '../../src/protocol/heartbeat.ts'
import { decryptJobResult, outputHash, parseJobResult } from '../../src/protocol/jobResult.ts'
import { parseJobStatus } from '../../src/protocol/jobStatus.ts'
import * as kinds from '../../src/protocol/kinds.ts'
import { amountDue } from '../../src/protocol/price.ts'
import { decryptDelta, parseStreamChunk } from '../../src/protocol/streamChunk.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import { startFakeOpenAI } from '../helpers/fakeBackends/openai.ts'
import type { FakeBackendServer } from '../helpers/fakeBackends/pacer.ts'
import { testSigner } from '../helpers/keys.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'
import { connectWs, jobEvent, postSse, streamedText } from './directClient.ts'

const price = { input: '1000', output: '2000' }

/** The output hash a result (v2) carries inside the content encrypted to the client. */
async function signedOutputHash(event: NostrEvent, reader: Parameters<typeof decryptJobResult>[1]): Promise<string> {
  const content = await decryptJobResult(event, reader)
  assert.ok(content.ok, content.ok ? '' : content.reason)
  return content.data.output
}
const reply = 'One two three four five six seven eight nine ten.'

describe('node daemon', () => {
  let relay: TestRelay
  let fake: FakeBackendServer
  let node: TestNode
  let pool: RelayPool
  const client = testSigner('daemon-client')
  const seen: NostrEvent[] = []

  before(async () => {
    relay = await startRelay()
    fake = await startFakeOllama({ models: ['llama3'], reply, tokensPerSecond: 2000 })
    node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, price, maxConcurrency: 4 })
    pool = createRelayPool({ urls: [relay.url], WebSocket: WebSocket as unknown as WebSocketConstructor })
    await pool.ready()
    pool.subscribe([{ kinds: [kinds.JobResult, kinds.JobStatus, kinds.StreamChunk], '#p': [client.pubkey] }], { onEvent: (e) => seen.push(e) })
  })
  after(async () => {
    pool.close()
    await node.stop()
    await fake.close()
    await relay.close()
  })

  const waitSeen = async (pred: (e: NostrEvent) => boolean, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const e = seen.find(pred)
      if (e) return e
      await new Promise((r) => setTimeout(r, 20))
    }
    throw new Error('event not seen on relay')
  }
  const statusesOf = (job: string) => seen.filter((e) => e.kind === kinds.JobStatus && e.tags.some((t) => t[0] === 'e' && t[1] === job)).map((e) => parseJobStatus(e))

  it('publishes a capability and a heartbeat that parse', async () => {
    const [cap] = await pool.query([{ kinds: [kinds.Capability], authors: [node.pubkey] }])
    const parsed = parseCapability(cap)
    assert.ok(parsed.ok, JSON.stringify(parsed))
    assert.deepEqual(parsed.data.models.map((m) => m.id), ['llama3'])
    assert.equal(parsed.data.stream, node.streamUrl)
    assert.deepEqual(parsed.data.price, price)
    assert.equal(parsed.data.backend, 'ollama')
    const [hb] = await pool.query([{ kinds: [kinds.Heartbeat], authors: [node.pubkey] }])
    const h = parseHeartbeat(hb)
    assert.ok(h.ok)
    assert.deepEqual(h.data.slots, { free: 4, total: 4 })
    assert.equal(h.data.backendHealthy, true)
    assert.deepEqual(h.data.loaded, ['llama3'])
  })

  it('streams a job over WebSocket and ends with a verifiable signed result', async () => {
    const ws = await connectWs(node.streamUrl, client)
    const event = await jobEvent(client, node.pubkey)
    await ws.submit(event)
    const end = await ws.end(event.id)
    await ws.close()
    assert.equal(end.type, 'result')
    const accepted = ws.frames.find((f) => f.type === 'accepted')
    assert.deepEqual(accepted, { type: 'accepted', job: event.id, queuePosition: 0 })
    const ck = client.conversationKey(node.pubkey)
    const text = streamedText(ws.frames, event.id, ck)
    assert.equal(text, reply)
    const result = parseJobResult((end as { event: unknown }).event)
    assert.ok(result.ok)
    assert.equal(result.data.node, node.pubkey)
    assert.equal(result.data.job, event.id)
    assert.equal(await signedOutputHash(result.event, client), outputHash(text))
    assert.ok(result.data.usage.completionTokens > 5)
    assert.equal(result.data.amount, amountDue(result.data.usage, price))
    // Published too; no status events for a direct job that succeeded (nips/job-status.md, version 2): the client had
    // its `accepted` frame, and the signed result says it succeeded. A relay job (below) still gets `processing`.
    await waitSeen((e) => e.kind === kinds.JobResult && e.id === result.event.id)
    assert.deepEqual(statusesOf(event.id), [])
  })

  it('streams a job over SSE', async () => {
    const event = await jobEvent(client, node.pubkey)
    const { status, frames } = await postSse(node.streamUrl, client, event)
    assert.equal(status, 200)
    assert.deepEqual(frames[0], { type: 'accepted', job: event.id, queuePosition: 0 })
    const last = frames.at(-1)!
    assert.equal(last.type, 'result')
    const text = streamedText(frames, event.id, client.conversationKey(node.pubkey))
    assert.equal(text, reply)
    const r = parseJobResult((last as { event: unknown }).event)
    assert.ok(r.ok)
    assert.equal(await signedOutputHash(r.event, client), outputHash(reply))
  })

  it('runs a relay-transport job and streams encrypted chunk events and a result with the text', async () => {
    const event = await jobEvent(client, node.pubkey, { transport: 'relay' })
    await pool.publish(event)
    const resultEv = await waitSeen((e) => e.kind === kinds.JobResult && e.tags.some((t) => t[0] === 'e' && t[1] === event.id))
    const r = parseJobResult(resultEv)
    assert.ok(r.ok)
    // A relay client reads `processing` from the relays; `success` is the result itself.
    await waitSeen((e) => e.kind === kinds.JobStatus && e.tags.some((t) => t[1] === event.id))
    assert.deepEqual(statusesOf(event.id).map((s) => (s.ok ? s.data.status : 'bad')), ['processing'])
    const content = await decryptJobResult(resultEv, client)
    assert.ok(content.ok)
    assert.equal(content.data.text, reply)
    // ephemeral chunks reached us live, in order, and add up to the output
    const ck = client.conversationKey(node.pubkey)
    const chunks = seen
      .filter((e) => e.kind === kinds.StreamChunk && e.tags.some((t) => t[0] === 'e' && t[1] === event.id))
      .map((e) => ({ p: parseStreamChunk(e), e }))
    assert.ok(chunks.length >= 1)
    for (const c of chunks) assert.ok(c.p.ok)
    const text = chunks
      .sort((a, b) => (a.p.ok && b.p.ok ? a.p.data.seq - b.p.data.seq : 0))
      .map((c) => decryptDelta(ck, c.e.content))
      .join('')
    assert.equal(text, reply)
    assert.equal(await signedOutputHash(r.event, client), outputHash(reply))
  })

  it('runs a job that arrives both directly and through the relay once', async () => {
    const before = fake.stats.chats
    const event = await jobEvent(client, node.pubkey)
    const ws = await connectWs(node.streamUrl, client)
    await ws.submit(event)
    await pool.publish(event)
    const end = await ws.end(event.id)
    assert.equal(end.type, 'result')
    // again directly after it finished (with a fresh auth event): refused as duplicate, not run
    await ws.submit(event, await buildAuthEvent(client, { url: wsUrl(node.streamUrl), method: 'WS', payloadHash: event.id, now: Math.floor(Date.now() / 1000) + 1 }))
    const dup = await ws.waitFor((f) => f.type === 'error' && f.code === 'duplicate')
    assert.equal(dup.type, 'error')
    await ws.close()
    await new Promise((r) => setTimeout(r, 100))
    assert.equal(fake.stats.chats - before, 1)
  })

  it('a client that joins a running relay job directly gets everything streamed so far, then the rest', async () => {
    const slow = await startFakeOllama({ models: ['llama3'], reply, tokensPerSecond: 40 })
    const n = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: slow.url }, price })
    try {
      const event = await jobEvent(client, n.pubkey, { transport: 'relay' })
      await pool.publish(event)
      await waitSeen((e) => e.kind === kinds.StreamChunk && e.tags.some((t) => t[0] === 'e' && t[1] === event.id))
      const ws = await connectWs(n.streamUrl, client)
      await ws.submit(event)
      const end = await ws.end(event.id)
      await ws.close()
      assert.equal(end.type, 'result')
      const chunks = ws.frames.filter((f) => f.type === 'chunk')
      assert.deepEqual(chunks.map((f) => (f as { seq: number }).seq), chunks.map((_, i) => i))
      assert.equal(streamedText(ws.frames, event.id, client.conversationKey(n.pubkey)), reply)
      assert.equal(slow.stats.chats, 1)
    } finally {
      await n.stop()
      await slow.close()
    }
  })

  it('a direct-transport job that arrives only through a relay streams through the relay', async () => {
    const event = await jobEvent(client, node.pubkey, { transport: 'direct' })
    await pool.publish(event)
    const resultEv = await waitSeen((e) => e.kind === kinds.JobResult && e.tags.some((t) => t[0] === 'e' && t[1] === event.id))
    const content = await decryptJobResult(resultEv, client)
    assert.ok(content.ok)
    assert.equal(content.data.text, reply)
    assert.ok(seen.some((e) => e.kind === kinds.StreamChunk && e.tags.some((t) => t[0] === 'e' && t[1] === event.id)))
  })

  it('a vLLM backend looks the same to the client as Ollama', async () => {
    const vllm = await startFakeOpenAI({ flavor: 'vllm', models: ['llama3'], reply })
    const n = await startNode({ relays: [relay.url], backend: { kind: 'vllm', baseUrl: vllm.url }, price })
    try {
      const ws = await connectWs(n.streamUrl, client)
      const event = await jobEvent(client, n.pubkey)
      await ws.submit(event)
      const end = await ws.end(event.id)
      await ws.close()
      assert.equal(end.type, 'result')
      // `accepted` with position 0 already says the job runs: no separate `processing` frame.
      assert.deepEqual(ws.frames.map((f) => f.type).filter((t) => t !== 'chunk'), ['accepted', 'result'])
      assert.equal(streamedText(ws.frames, event.id, client.conversationKey(n.pubkey)), reply)
      const r = parseJobResult((end as { event: unknown }).event)
      assert.ok(r.ok)
      assert.equal(r.data.model, 'llama3')
      assert.equal(await signedOutputHash(r.event, client), outputHash(reply))
    } finally {
      await n.stop()
      await vllm.close()
    }
  })

  it('publishes heartbeats on its interval and stops jobs cleanly on shutdown', async () => {
    const hang = await startFakeOllama({ models: ['llama3'], faults: { hang: true } })
    const n = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: hang.url }, price, config: { heartbeatInterval: 1 } })
    const beats: NostrEvent[] = []
    const sub = pool.subscribe([{ kinds: [kinds.Heartbeat], authors: [n.pubkey], since: Math.floor(Date.now() / 1000) + 1 }], { onEvent: (e) => beats.push(e) })
    try {
      const deadline = Date.now() + 5000
      while (beats.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
      assert.ok(beats.length >= 1, 'a heartbeat after the first one')
      const ws = await connectWs(n.streamUrl, client)
      const event = await jobEvent(client, n.pubkey)
      await ws.submit(event)
      await ws.waitFor((f) => f.type === 'accepted' && f.job === event.id)
      await n.stop()
      const end = await ws.end(event.id)
      assert.equal(end.type, 'error')
      assert.equal((end as { retryable: boolean }).retryable, true)
      await ws.close()
    } finally {
      sub.close()
      await n.stop()
      await hang.close()
    }
  })

  it('heartbeat reflects busy slots', async () => {
    const slow = await startFakeOllama({ models: ['llama3'], reply, tokensPerSecond: 20 })
    const n = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: slow.url }, maxConcurrency: 1, maxQueue: 2, price })
    try {
      const ws = await connectWs(n.streamUrl, client)
      const a = await jobEvent(client, n.pubkey)
      const b = await jobEvent(client, n.pubkey)
      await ws.submit(a)
      await ws.submit(b)
      await ws.waitFor((f) => f.type === 'accepted' && f.job === b.id)
      const hb = await n.daemon.heartbeat()
      const h = parseHeartbeat(hb)
      assert.ok(h.ok)
      assert.deepEqual(h.data.slots, { free: 0, total: 1 })
      assert.equal(h.data.queue, 1)
      await ws.close()
    } finally {
      await n.stop()
      await slow.close()
    }
  })
})
