// Bad input and failing backends: the node answers with the right error frame and status event, frees the
// slot, keeps running, and never runs a job twice.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import WebSocket from 'ws'
import { createRelayPool, type RelayPool, type WebSocketConstructor } from '../../src/net/relayPool.ts'
import { buildAuthEvent } from '../../src/protocol/auth.ts'
import type { NostrEvent } from '../../src/protocol/event.ts'
import { wsUrl, type NodeFrame } from '../../src/protocol/frames.ts'
import { buildJobCancel } from '../../src/protocol/jobCancel.ts'
import { parseJobStatus } from '../../src/protocol/jobStatus.ts'
import * as kinds from '../../src/protocol/kinds.ts'
import { encryptLarge } from '../../src/protocol/nip44.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import type { FakeBackendServer } from '../helpers/fakeBackends/pacer.ts'
import { testPubkey, testSigner } from '../helpers/keys.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'
import { connectWs, jobEvent, payload, postSse, streamedText, type WsClient } from './directClient.ts'

const price = { input: '1000', output: '2000' }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until(pred: () => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(10)
  }
}

describe('node faults', () => {
  let relay: TestRelay
  let fake: FakeBackendServer
  let node: TestNode
  let ws: WsClient
  let pool: RelayPool
  const client = testSigner('faults-client')
  const seen: NostrEvent[] = []

  before(async () => {
    relay = await startRelay()
    fake = await startFakeOllama({ models: ['llama3'], tokensPerSecond: 2000 })
    node = await startNode({
      relays: [relay.url],
      backend: { kind: 'ollama', baseUrl: fake.url, timeoutMs: 400 },
      price,
      maxConcurrency: 1,
      maxQueue: 1,
      config: { maxPromptBytes: 1000 },
    })
    ws = await connectWs(node.streamUrl, client)
    pool = createRelayPool({ urls: [relay.url], WebSocket: WebSocket as unknown as WebSocketConstructor })
    await pool.ready()
    pool.subscribe([{ kinds: [kinds.JobStatus, kinds.JobResult], '#p': [client.pubkey] }], { onEvent: (e) => seen.push(e) })
  })
  after(async () => {
    pool.close()
    await ws.close()
    await node.stop()
    await fake.close()
    await relay.close()
  })

  const errorStatus = async (job: string, code: string) => {
    await until(() => seen.some((e) => e.tags.some((t) => t[1] === job) && e.tags.some((t) => t[0] === 'status' && (t[1] === 'error' || t[1] === 'cancelled'))))
    const st = seen.map((e) => parseJobStatus(e)).find((s) => s.ok && s.data.job === job && (s.data.status === 'error' || s.data.status === 'cancelled'))
    assert.ok(st?.ok)
    assert.equal(st.data.code, code)
  }

  const expectError = async (event: NostrEvent, code: string, auth?: NostrEvent): Promise<NodeFrame> => {
    const chatsBefore = fake.stats.chats
    await ws.submit(event, auth)
    const f = await ws.end(event.id)
    assert.equal(f.type, 'error', JSON.stringify(f))
    assert.equal((f as { code: string }).code, code, JSON.stringify(f))
    if (code !== 'backend' && code !== 'cancelled') assert.equal(fake.stats.chats, chatsBefore, 'the backend was not called')
    return f
  }

  it('refuses a tampered payload and a bad signature without a status event', async () => {
    const good = await jobEvent(client, node.pubkey)
    await expectError({ ...good, content: good.content.slice(0, -4) + 'AAAA' }, 'invalid')
    // A bad signature on a job whose author the channel authenticated (here its auth event): the check runs right
    // after the backend call is issued, so that call may start, but it is stopped and nothing reaches the client.
    const other = await jobEvent(client, node.pubkey)
    const forged = { ...other, sig: other.sig.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) }
    await ws.submit(forged)
    const end = await ws.end(forged.id)
    assert.equal(end.type, 'error')
    assert.equal((end as { code: string }).code, 'invalid')
    assert.match((end as { message: string }).message, /signature/)
    assert.deepEqual(ws.frames.filter((f) => 'job' in f && f.job === forged.id).map((f) => f.type), ['error'])
    await until(() => fake.stats.activeStreams === 0 && node.daemon.stats().running === 0)
    // Refused later for another reason (unknown model): still `invalid` and silent, never `unknown-model` in public.
    const unknown = await jobEvent(client, node.pubkey, { model: 'nope' })
    const forgedUnknown = { ...unknown, sig: unknown.sig.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) }
    assert.match(((await expectError(forgedUnknown, 'invalid')) as { message: string }).message, /signature/)
    await sleep(100)
    assert.equal(seen.filter((e) => e.tags.some((t) => t[1] === good.id || t[1] === forged.id || t[1] === forgedUnknown.id)).length, 0)
  })

  it('a forged copy sent first (same id, bad signature) does not burn the genuine job\'s id', async () => {
    // NIP-01 ids do not cover `sig`: the forged copy carries the genuine id. On a connection authenticated as the
    // author its signature is checked only once its backend call is out; failing it must give the id back.
    const conn = await connectWs(node.streamUrl, client)
    const other = await connectWs(node.streamUrl, client)
    try {
      assert.equal((await conn.authenticate()).type, 'authenticated')
      assert.equal((await other.authenticate()).type, 'authenticated')
      const forge = (e: NostrEvent) => ({ ...e, sig: e.sig.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) })
      const genuine = await jobEvent(client, node.pubkey)
      await conn.submit(forge(genuine), null)
      const refused = await conn.end(genuine.id)
      assert.equal((refused as { code: string }).code, 'invalid')
      assert.match((refused as { message: string }).message, /signature/)
      const seenBefore = conn.frames.length
      await conn.submit(genuine, null)
      const served = await conn.waitFor((f) => (f.type === 'result' || f.type === 'error') && f.job === genuine.id && conn.frames.indexOf(f) >= seenBefore)
      assert.equal(served.type, 'result', JSON.stringify(served))
      assert.ok(streamedText(conn.frames, genuine.id, client.conversationKey(node.pubkey)).length > 0)
      // The two at once, on two connections: the genuine one still runs (after the forgery is stopped).
      const second = await jobEvent(client, node.pubkey)
      await conn.submit(forge(second), null)
      await other.submit(second, null)
      assert.equal((await other.waitFor((f) => (f.type === 'result' || f.type === 'error') && f.job === second.id)).type, 'result')
      await until(() => seen.some((e) => e.kind === kinds.JobResult && e.tags.some((t) => t[1] === second.id)))
    } finally {
      await conn.close()
      await other.close()
    }
  })

  it('refuses parameters nested too deep as bad-payload, and never counts a client-caused failure against the node', async () => {
    const failedBefore = node.daemon.stats().jobs.failed
    // 5,000 levels: built by hand, since JSON.stringify itself overflows the stack on such a value.
    const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000)
    const plaintext = JSON.stringify(payload()).replace('"params":{}', `"params":{"deep":${deep}}`)
    assert.ok(plaintext.includes('"deep"'))
    const now = Math.floor(Date.now() / 1000)
    const nested = await client.signEvent({
      kind: kinds.JobRequest,
      created_at: now,
      tags: [['p', node.pubkey], ['expiration', String(now + 60)]],
      content: encryptLarge(plaintext, client.conversationKey(node.pubkey)),
    })
    const f = await expectError(nested, 'bad-payload')
    assert.match((f as { message: string }).message, /nest more than 64 levels/)
    await errorStatus(nested.id, 'bad-payload')
    // Ollama answers an option of the wrong type with a 500: the client's mistake, not the node's backend failing.
    const chats = fake.stats.chats
    const mistyped = await jobEvent(client, node.pubkey, { params: { top_k: 'many' } })
    await ws.submit(mistyped)
    const end = await ws.end(mistyped.id)
    assert.equal(fake.stats.chats, chats + 1, 'the backend was asked')
    assert.equal((end as { code: string }).code, 'bad-payload', JSON.stringify(end))
    assert.match((end as { message: string }).message, /top_k/)
    await errorStatus(mistyped.id, 'bad-payload')
    // A client's cancel is no failure either.
    fake.setFaults({ hang: true })
    const cancelled = await jobEvent(client, node.pubkey)
    await ws.submit(cancelled)
    await ws.waitFor((x) => x.type === 'accepted' && x.job === cancelled.id)
    await until(() => fake.stats.activeStreams === 1)
    ws.send({ type: 'cancel', job: cancelled.id })
    assert.equal(((await ws.end(cancelled.id)) as { code: string }).code, 'cancelled')
    fake.setFaults({})
    await until(() => node.daemon.stats().running === 0)
    assert.equal(node.daemon.stats().jobs.failed, failedBefore)
  })

  it('refuses an oversized job event', async () => {
    const now = Math.floor(Date.now() / 1000)
    const event = await client.signEvent({ kind: kinds.JobRequest, created_at: now, tags: [['p', node.pubkey], ['expiration', String(now + 60)]], content: 'A'.repeat(390 * 1024) })
    await expectError(event, 'too-large')
  })

  it('refuses an undecryptable payload with an error status', async () => {
    const plaintext = JSON.stringify(payload())
    const now = Math.floor(Date.now() / 1000)
    const event = await client.signEvent({
      kind: kinds.JobRequest,
      created_at: now,
      tags: [['p', node.pubkey], ['expiration', String(now + 60)]],
      content: encryptLarge(plaintext, client.conversationKey(testPubkey('someone-else'))),
    })
    await expectError(event, 'undecryptable')
    await errorStatus(event.id, 'undecryptable')
  })

  it('refuses expired jobs, unknown models, oversize prompts and low bids', async () => {
    const now = Math.floor(Date.now() / 1000)
    await expectError(await jobEvent(client, node.pubkey, {}, { now: now - 100, ttl: 10 }), 'expired')
    await expectError(await jobEvent(client, node.pubkey, { model: 'nope' }), 'unknown-model')
    await expectError(await jobEvent(client, node.pubkey, { messages: [{ role: 'user', content: 'x'.repeat(2000) }] }), 'too-large')
    const low = await jobEvent(client, node.pubkey, { bid: { input: '999', output: '2000' } })
    await expectError(low, 'bid-too-low')
    await errorStatus(low.id, 'bid-too-low')
  })

  it('refuses a replayed auth event on WS and SSE', async () => {
    const event = await jobEvent(client, node.pubkey)
    const auth = await buildAuthEvent(client, { url: wsUrl(node.streamUrl), method: 'WS', payloadHash: event.id })
    await ws.submit(event, auth)
    assert.equal((await ws.end(event.id)).type, 'result')
    const again = await jobEvent(client, node.pubkey)
    const f = await expectError(again, 'invalid', auth)
    assert.match((f as { message: string }).message, /payload/)
    // an auth event signed by someone else than the job's author
    const stranger = testSigner('stranger')
    const third = await jobEvent(client, node.pubkey)
    await expectError(third, 'invalid', await buildAuthEvent(stranger, { url: wsUrl(node.streamUrl), method: 'WS', payloadHash: third.id }))
    // SSE: the same Authorization header twice
    const sseJob = await jobEvent(client, node.pubkey)
    const first = await postSse(node.streamUrl, client, sseJob)
    assert.equal(first.frames.at(-1)?.type, 'result')
    const { sseUrl } = await import('../../src/protocol/frames.ts')
    const { encodeAuthHeader } = await import('../../src/protocol/auth.ts')
    const header = encodeAuthHeader(await buildAuthEvent(client, { url: sseUrl(node.streamUrl), method: 'POST', body: JSON.stringify(sseJob), now: Math.floor(Date.now() / 1000) + 1 }))
    const ok = await postSse(node.streamUrl, client, sseJob, { authHeader: header })
    assert.equal(ok.frames.at(-1)?.type, 'error')
    assert.equal((ok.frames.at(-1) as { code: string }).code, 'duplicate')
    const replayed = await postSse(node.streamUrl, client, sseJob, { authHeader: header })
    assert.equal(replayed.status, 401)
    assert.match(JSON.stringify(replayed.body), /already used/)
  })

  it('serves jobs without a per-job auth only on a connection authenticated as their author', async () => {
    const url = wsUrl(node.streamUrl)
    const conn = await connectWs(node.streamUrl, client)
    try {
      // Before the connection is authenticated, a job frame without auth is refused and never runs.
      const early = await jobEvent(client, node.pubkey)
      const chatsBefore = fake.stats.chats
      await conn.submit(early, null)
      const refused = await conn.end(early.id)
      assert.equal(refused.type, 'error')
      assert.equal((refused as { code: string }).code, 'invalid')
      assert.match((refused as { message: string }).message, /not authenticated/)
      assert.equal(fake.stats.chats, chatsBefore)

      // Refused connection auths: wrong URL, wrong method, a per-job auth (payload tag), another key's signature.
      const bad = [
        await buildAuthEvent(client, { url: url.replace('/v1/ws', '/v1/other'), method: 'WS', connection: true }),
        await buildAuthEvent(client, { url, method: 'POST', connection: true }),
        await buildAuthEvent(client, { url, method: 'WS', payloadHash: early.id }),
        { ...(await buildAuthEvent(client, { url, method: 'WS', connection: true })), sig: (await buildAuthEvent(testSigner('stranger'), { url, method: 'WS', connection: true })).sig },
      ]
      const reasons = []
      for (const event of bad) {
        const answer = await conn.authenticate(event)
        assert.equal(answer.type, 'error', JSON.stringify(answer))
        reasons.push((answer as { message: string }).message)
      }
      assert.match(reasons[0]!, /"u" tag/)
      assert.match(reasons[1]!, /"method" tag/)
      assert.match(reasons[2]!, /no "payload" tag/)
      assert.match(reasons[3]!, /signature/)

      const auth = await buildAuthEvent(client, { url, method: 'WS', connection: true })
      assert.deepEqual(await conn.authenticate(auth), { type: 'authenticated', pubkey: client.pubkey })
      const job = await jobEvent(client, node.pubkey)
      await conn.submit(job, null)
      assert.equal((await conn.end(job.id)).type, 'result')
      assert.ok(streamedText(conn.frames, job.id, client.conversationKey(node.pubkey)).length > 0)

      // The connection speaks for its author only: another key's job still needs its own auth event.
      const other = testSigner('other-author')
      const foreign = await jobEvent(other, node.pubkey)
      await conn.submit(foreign, null)
      assert.equal(((await conn.end(foreign.id)) as { code: string }).code, 'invalid')
      // A forged job (bad signature) on the authenticated connection is still refused.
      const forged = await jobEvent(client, node.pubkey)
      await conn.submit({ ...forged, sig: forged.sig.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) }, null)
      assert.match(((await conn.end(forged.id)) as { message: string }).message, /signature/)

      // The same connection auth event on a second connection is a replay.
      const second = await connectWs(node.streamUrl, client)
      try {
        const replayed = await second.authenticate(auth)
        assert.equal(replayed.type, 'error')
        assert.match((replayed as { message: string }).message, /already used/)
      } finally {
        await second.close()
      }
    } finally {
      await conn.close()
    }
  })

  it('queues beyond the slots, then refuses with busy', async () => {
    fake.setFaults({})
    const slow = testSigner('slow-client')
    const wsSlow = await connectWs(node.streamUrl, slow)
    try {
      const a = await jobEvent(slow, node.pubkey, { messages: [{ role: 'user', content: 'a' }] })
      const b = await jobEvent(slow, node.pubkey)
      const c = await jobEvent(slow, node.pubkey)
      // hold the slot: hang the backend for the first job only
      fake.setFaults({ hang: true })
      await wsSlow.submit(a)
      await wsSlow.waitFor((f) => f.type === 'accepted' && f.job === a.id)
      await until(() => fake.stats.activeStreams === 1)
      fake.setFaults({})
      await wsSlow.submit(b)
      const acc = await wsSlow.waitFor((f) => f.type === 'accepted' && f.job === b.id)
      assert.deepEqual(acc, { type: 'accepted', job: b.id, queuePosition: 1 })
      await wsSlow.submit(c)
      const busy = await wsSlow.end(c.id)
      assert.equal(busy.type, 'error')
      assert.equal((busy as { code: string }).code, 'busy')
      assert.equal((busy as { retryable: boolean }).retryable, true)
      // the hung job times out (backend error), the queued one then runs
      const endA = await wsSlow.end(a.id)
      assert.equal((endA as { code: string }).code, 'backend')
      assert.equal((await wsSlow.end(b.id)).type, 'result')
      assert.equal(node.daemon.stats().slots.free, 1)
    } finally {
      await wsSlow.close()
    }
  })

  it('answers backend errors (503 loading, dies mid-stream, down) and keeps serving', async () => {
    fake.setFaults({ loading503: 1 })
    const a = await jobEvent(client, node.pubkey)
    const fa = await expectError(a, 'backend')
    assert.equal((fa as { retryable: boolean }).retryable, true)
    await errorStatus(a.id, 'backend')
    fake.setFaults({ dropAfter: 3 })
    await expectError(await jobEvent(client, node.pubkey), 'backend')
    fake.setFaults({ midStreamErrorAfter: 2 })
    await expectError(await jobEvent(client, node.pubkey), 'backend')
    fake.setFaults({})
    const ok = await jobEvent(client, node.pubkey)
    await ws.submit(ok)
    assert.equal((await ws.end(ok.id)).type, 'result')
    assert.equal(node.daemon.stats().running, 0)
  })

  it('stops the backend request when the client disconnects or cancels', async () => {
    fake.setFaults({ hang: true })
    const c2 = await connectWs(node.streamUrl, client)
    const a = await jobEvent(client, node.pubkey)
    await c2.submit(a)
    await c2.waitFor((f) => f.type === 'accepted' && f.job === a.id)
    await until(() => fake.stats.activeStreams === 1)
    const cancelledBefore = fake.stats.cancelled
    await c2.close()
    await until(() => fake.stats.cancelled === cancelledBefore + 1)
    await until(() => node.daemon.stats().running === 0)
    await errorStatus(a.id, 'cancelled')
    // SSE: closing the request cancels the job
    const sseJob = await jobEvent(client, node.pubkey)
    const abort = new AbortController()
    const sse = postSse(node.streamUrl, client, sseJob, { signal: abort.signal })
    await until(() => fake.stats.activeStreams === 1)
    const beforeSse = fake.stats.cancelled
    abort.abort()
    await sse.catch(() => undefined)
    await until(() => fake.stats.cancelled === beforeSse + 1)
    await until(() => node.daemon.stats().running === 0)
    await errorStatus(sseJob.id, 'cancelled')
    // cancel frame
    const b = await jobEvent(client, node.pubkey)
    await ws.submit(b)
    await ws.waitFor((f) => f.type === 'accepted' && f.job === b.id)
    ws.send({ type: 'cancel', job: b.id })
    const end = await ws.end(b.id)
    assert.equal((end as { code: string }).code, 'cancelled')
    // cancel event through the relay, for a relay-transport job
    const c = await jobEvent(client, node.pubkey, { transport: 'relay' })
    await pool.publish(c)
    await until(() => fake.stats.activeStreams === 1)
    await pool.publish(await buildJobCancel(client, { job: c.id, node: node.pubkey }))
    await errorStatus(c.id, 'cancelled')
    await until(() => node.daemon.stats().running === 0)
    fake.setFaults({})
  })

  it('never runs a job twice across a restart (same home)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'infernet-restart-'))
    const signer = testSigner('restart-node')
    try {
      const n1 = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, price, home, signer })
      const c1 = await connectWs(n1.streamUrl, client)
      const job = await jobEvent(client, n1.pubkey)
      await c1.submit(job)
      assert.equal((await c1.end(job.id)).type, 'result')
      await c1.close()
      await n1.stop()
      const n2 = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, price, home, signer })
      const chats = fake.stats.chats
      const c2 = await connectWs(n2.streamUrl, client)
      await c2.submit(job, await buildAuthEvent(client, { url: wsUrl(n2.streamUrl), method: 'WS', payloadHash: job.id }))
      const end = await c2.end(job.id)
      assert.equal((end as { code: string }).code, 'duplicate')
      assert.equal(fake.stats.chats, chats)
      await c2.close()
      await n2.stop()
    } finally {
      rmSync(home, { recursive: true, force: true })
    }
  })

  it('reports a backend that is down', async () => {
    const dead = await startFakeOllama({ models: ['llama3'] })
    const n = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: dead.url, timeoutMs: 400 }, price })
    try {
      await dead.close()
      const c = await connectWs(n.streamUrl, client)
      const job = await jobEvent(client, n.pubkey)
      await c.submit(job)
      const end = await c.end(job.id)
      assert.equal(end.type, 'error')
      assert.equal((end as { code: string }).code, 'backend')
      assert.equal((end as { retryable: boolean }).retryable, true)
      await c.close()
      const hb = await n.daemon.heartbeat()
      assert.ok(hb)
      assert.equal(JSON.parse(hb.content).backendHealthy, false)
    } finally {
      await n.stop()
    }
  })
})
