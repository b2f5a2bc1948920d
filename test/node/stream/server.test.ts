// The node's direct channel under attack: oversized SSE bodies, auth events replayed to another node behind a
// spoofed Host header, an auth flood meant to lock honest clients out, and /status asked from loopback without
// the token (as a same-host proxy would ask it for anyone).
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { after, before, describe, it } from 'node:test'
import WebSocket from 'ws'
import { buildAuthEvent, encodeAuthHeader } from '../../../src/protocol/auth.ts'
import type { NostrEvent } from '../../../src/protocol/event.ts'
import { sseUrl, wsUrl, type NodeFrame } from '../../../src/protocol/frames.ts'
import type { Signer } from '../../../src/signer.ts'
import { startFakeOllama } from '../../helpers/fakeBackends/ollama.ts'
import type { FakeBackendServer } from '../../helpers/fakeBackends/pacer.ts'
import { testSigner } from '../../helpers/keys.ts'
import { startNode, type TestNode } from '../../helpers/node.ts'
import { startRelay, type TestRelay } from '../../helpers/relay.ts'
import { connectWs, jobEvent, postSse } from '../directClient.ts'

const price = { input: '1000', output: '2000' }

/** A raw WebSocket to `url` from a chosen loopback address, optionally with a Host header of our choosing. */
async function openWs(url: string, { localAddress, host }: { localAddress?: string; host?: string } = {}) {
  const ws = new WebSocket(url, { ...(localAddress ? { localAddress } : {}), ...(host ? { headers: { host } } : {}) })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  const frames: NodeFrame[] = []
  const waiters: (() => void)[] = []
  ws.on('message', (d) => {
    frames.push(JSON.parse(String(d)) as NodeFrame)
    for (const w of waiters.splice(0)) w()
  })
  /** Resolves once `n` frames have arrived in all. */
  const received = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => (frames.length >= n ? resolve() : waiters.push(check))
      check()
    })
  const close = () =>
    new Promise<void>((resolve) => {
      if (ws.readyState === ws.CLOSED) return resolve()
      ws.once('close', () => resolve())
      ws.close()
    })
  return { ws, frames, received, close }
}

/** Sends each connection auth event and waits for as many answers. */
async function sendAuths(url: string, events: NostrEvent[], localAddress: string): Promise<NodeFrame[]> {
  const c = await openWs(url, { localAddress })
  try {
    for (const event of events) c.ws.send(JSON.stringify({ type: 'auth', event }))
    await c.received(events.length)
    return c.frames
  } finally {
    await c.close()
  }
}

/** POST /v1/jobs over node:http (fetch will not send a Host header of our choosing). */
function postRaw(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (text += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

describe('node stream server', () => {
  let relay: TestRelay
  let fake: FakeBackendServer
  let a: TestNode
  let b: TestNode
  const client = testSigner('stream-server-client')

  before(async () => {
    relay = await startRelay()
    fake = await startFakeOllama({ models: ['llama3'], tokensPerSecond: 5000 })
    a = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, price })
    b = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, price })
  })
  after(async () => {
    await a.stop()
    await b.stop()
    await fake.close()
    await relay.close()
  })

  it('answers an SSE body over the limit with 413, not a connection reset', async () => {
    const job = await jobEvent(client, a.pubkey)
    const body = JSON.stringify({ ...job, content: 'A'.repeat(600 * 1024) })
    const header = encodeAuthHeader(await buildAuthEvent(client, { url: sseUrl(a.streamUrl), method: 'POST', body }))
    const res = await fetch(sseUrl(a.streamUrl), { method: 'POST', body, headers: { authorization: header, 'content-type': 'application/json' } })
    assert.equal(res.status, 413)
    const answer = (await res.json()) as { code: string; message: string }
    assert.equal(answer.code, 'too-large')
    assert.match(answer.message, /over \d+ bytes/)
    // The node keeps serving.
    const ok = await postSse(a.streamUrl, client, await jobEvent(client, a.pubkey))
    assert.equal(ok.frames.at(-1)?.type, 'result')
  })

  it('refuses, on node B, an auth made for node A even with a spoofed Host header', async () => {
    const aHost = new URL(a.streamUrl).host
    // WebSocket connection auth, replayed by A to B with A's Host header.
    const connectionAuth = await buildAuthEvent(client, { url: wsUrl(a.streamUrl), method: 'WS', connection: true })
    const replay = await openWs(wsUrl(b.streamUrl), { host: aHost })
    try {
      replay.ws.send(JSON.stringify({ type: 'auth', event: connectionAuth }))
      await replay.received(1)
      const answer = replay.frames[0] as { type: string; code?: string; message?: string }
      assert.equal(answer.type, 'error', JSON.stringify(answer))
      assert.equal(answer.code, 'invalid')
      assert.match(answer.message ?? '', /"u" tag does not match/)
    } finally {
      await replay.close()
    }
    // The SSE auth header of a job, replayed the same way.
    const job = await jobEvent(client, b.pubkey)
    const body = JSON.stringify(job)
    const header = encodeAuthHeader(await buildAuthEvent(client, { url: sseUrl(a.streamUrl), method: 'POST', body }))
    const sse = await postRaw(sseUrl(b.streamUrl), body, { authorization: header, host: aHost })
    assert.equal(sse.status, 401, sse.text)
    assert.match(sse.text, /"u\\" tag does not match/)
    // B still takes what is made for its own announced URL.
    const own = await connectWs(b.streamUrl, client)
    try {
      assert.equal((await own.authenticate()).type, 'authenticated')
    } finally {
      await own.close()
    }
  })

  it('binds the announced URL and the configured extra ones only', async () => {
    const c = await startNode({
      relays: [relay.url],
      backend: { kind: 'ollama', baseUrl: fake.url },
      price,
      config: { publicUrl: 'https://gpu.example.net', authUrls: ['http://node-c.internal:8790'] },
    })
    try {
      const answer = async (signedFor: string) => {
        const conn = await connectWs(c.streamUrl, client)
        try {
          return await conn.authenticate(await buildAuthEvent(client, { url: wsUrl(signedFor), method: 'WS', connection: true }))
        } finally {
          await conn.close()
        }
      }
      assert.equal((await answer('https://gpu.example.net')).type, 'authenticated')
      assert.equal((await answer('http://node-c.internal:8790')).type, 'authenticated')
      // Its local address is not announced: an auth for it is refused, naming the URL it must bind.
      const local = (await answer(c.streamUrl)) as { type: string; message?: string }
      assert.equal(local.type, 'error')
      assert.match(local.message ?? '', /does not match wss:\/\/gpu\.example\.net\/v1\/ws/)
    } finally {
      await c.stop()
    }
  })

  it('serves /status only with its token, whatever address asks', async () => {
    const url = new URL('/status', a.streamUrl)
    // A same-host proxy passes every caller's request on from 127.0.0.1.
    const open = await fetch(url, { headers: { 'x-forwarded-for': '203.0.113.7' } })
    assert.equal(open.status, 401)
    assert.match(((await open.json()) as { error: string }).error, /Bearer/)
    assert.equal((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status, 401)
    const ok = await fetch(url, { headers: { authorization: `Bearer ${a.daemon.statusToken}` } })
    assert.equal(ok.status, 200)
    assert.equal(((await ok.json()) as { pubkey: string }).pubkey, a.pubkey)
  })

  it('keeps honest clients authenticating and running jobs while another floods auth events', async () => {
    // Small bounds so that the flood below would fill the replay guard many times over.
    const n = await startNode({
      relays: [relay.url],
      backend: { kind: 'ollama', baseUrl: fake.url },
      price,
      maxConcurrency: 8,
      config: { authMaxEntries: 300, authMaxPerKey: 20, authRatePerConnection: 5, authRatePerAddress: 20 },
    })
    try {
      const url = wsUrl(n.streamUrl)
      const auths = (signer: Signer, count: number) => Promise.all(Array.from({ length: count }, () => buildAuthEvent(signer, { url, method: 'WS', connection: true })))
      // One key, from eight addresses: 480 cheap auth events.
      const flooder = testSigner('flooder')
      const oneKey = async () => (await Promise.all([3, 4, 5, 6, 7, 8, 9, 10].map(async (host) => sendAuths(url, await auths(flooder, 60), `127.0.0.${host}`)))).flat()
      // Fresh keys (one event each), from one address over five connections: 300 more.
      const manyKeys = async () =>
        (await Promise.all(Array.from({ length: 5 }, async (_, i) => sendAuths(url, (await Promise.all(Array.from({ length: 60 }, (_, j) => auths(testSigner(`fresh-${i}-${j}`), 1)))).flat(), '127.0.0.11')))).flat()
      let honestRuns = 0
      const honest = async (name: string) => {
        const signer = testSigner(name)
        const conn = await openWs(url, { localAddress: '127.0.0.2' })
        try {
          const [auth] = await auths(signer, 1)
          conn.ws.send(JSON.stringify({ type: 'auth', event: auth }))
          await conn.received(1)
          assert.deepEqual(conn.frames[0], { type: 'authenticated', pubkey: signer.pubkey }, `honest ${name}: ${JSON.stringify(conn.frames[0])}`)
          const job = await jobEvent(signer, n.pubkey)
          conn.ws.send(JSON.stringify({ type: 'job', event: job }))
          await new Promise<void>((resolve) => {
            const check = () => (conn.frames.some((f) => (f.type === 'result' || f.type === 'error') && 'job' in f && f.job === job.id) ? resolve() : void conn.received(conn.frames.length + 1).then(check))
            check()
          })
          const end = conn.frames.find((f) => (f.type === 'result' || f.type === 'error') && 'job' in f && f.job === job.id)
          assert.equal(end?.type, 'result', `honest ${name}: ${JSON.stringify(end)}`)
          honestRuns++
        } finally {
          await conn.close()
        }
      }
      const during = async () => {
        for (let i = 0; i < 3; i++) await honest(`honest-during-${i}`)
      }
      const [fromOneKey, fromManyKeys] = await Promise.all([oneKey(), manyKeys(), during()])
      // Once the flood is over, with its auth events still live, newcomers get in too.
      for (let i = 0; i < 3; i++) await honest(`honest-after-${i}`)
      assert.equal(honestRuns, 6)

      const refused = [...fromOneKey!, ...fromManyKeys!].filter((f) => f.type === 'error') as { code: string; message: string; retryable?: boolean }[]
      const accepted = [...fromOneKey!, ...fromManyKeys!].filter((f) => f.type === 'authenticated')
      // The flood was held to the key's share and the addresses' rates, and told so: no refusal claims a replay.
      assert.ok(fromOneKey!.filter((f) => f.type === 'authenticated').length <= 20)
      assert.ok(accepted.length < 300, `${accepted.length} flood auths accepted`)
      assert.ok(refused.length > 0)
      for (const r of refused) {
        assert.equal(r.code, 'busy')
        assert.equal(r.retryable, true)
        assert.match(r.message, /^rate-limited: /)
      }
      assert.ok(refused.some((r) => /this key has 20 auth events in use \(at most 20\)/.test(r.message)))
      assert.ok(refused.some((r) => /too many auth events from this (connection|address)/.test(r.message)))
    } finally {
      await n.stop()
    }
  })
})
