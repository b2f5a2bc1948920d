// The SDK's direct channel authenticates its WebSocket once (nips/stream.md, "Connection auth"): against a real
// node it is accepted and jobs then travel without an auth event each; a node that refuses the auth frame (an
// older node, or a clock out of the window) still gets jobs, each with its own auth event.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import WebSocket, { WebSocketServer } from 'ws'
import type { AddressInfo } from 'node:net'
import { DirectChannels } from '../../client/directChannel.ts'
import { silentLogger } from '../../src/log.ts'
import type { WebSocketConstructor } from '../../src/net/relayPool.ts'
import { getTagValue, type NostrEvent } from '../../src/protocol/event.ts'
import { wsUrl } from '../../src/protocol/frames.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import type { FakeBackendServer } from '../helpers/fakeBackends/pacer.ts'
import { testSigner } from '../helpers/keys.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'
import { jobEvent } from '../node/directClient.ts'

const WS = WebSocket as unknown as WebSocketConstructor

describe('direct channel connection auth', () => {
  let relay: TestRelay
  let fake: FakeBackendServer
  let node: TestNode
  const client = testSigner('direct-channel-client')

  before(async () => {
    relay = await startRelay()
    fake = await startFakeOllama({ models: ['llama3'], reply: 'a b c' })
    node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, price: { input: '0', output: '0' } })
  })
  after(async () => {
    await node.stop()
    await fake.close()
    await relay.close()
  })

  it('is accepted by a real node, which then runs a job sent without an auth event', async () => {
    const channels = new DirectChannels({ WebSocket: WS, logger: silentLogger, signer: client })
    try {
      const conn = channels.get(node.streamUrl)
      await conn.open(2000)
      assert.equal(conn.authenticatedAs, client.pubkey)
      const event = await jobEvent(client, node.pubkey, { bid: { input: '0', output: '0' } })
      const frames: string[] = []
      const done = new Promise<void>((resolve, reject) => {
        conn.register(event.id, {
          onFrame: (f) => {
            frames.push(f.type)
            if (f.type === 'result') resolve()
            if (f.type === 'error') reject(new Error(f.message))
          },
          onClosed: (reason) => reject(new Error(reason)),
        })
      })
      assert.equal(conn.send({ type: 'job', event }), true)
      await done
      assert.deepEqual([frames[0], frames.at(-1)], ['accepted', 'result'])
      assert.ok(frames.includes('chunk'))
    } finally {
      channels.closeAll()
    }
  })

  it('without a signer sends no auth frame; with one, a node that refuses it leaves the connection usable', async () => {
    const received: { type: string; event?: NostrEvent }[] = []
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    server.on('connection', (ws) =>
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { type: string; event?: NostrEvent }
        received.push(frame)
        // What a node answers to a frame type it does not know, or to an auth it refuses.
        if (frame.type === 'auth') ws.send(JSON.stringify({ type: 'error', code: 'invalid', message: 'invalid: unknown or malformed frame' }))
      }),
    )
    await new Promise((r) => server.once('listening', r))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const anonymous = new DirectChannels({ WebSocket: WS, logger: silentLogger })
      await anonymous.get(base).open(2000)
      assert.equal(anonymous.get(base).authenticatedAs, undefined)
      anonymous.closeAll()
      assert.equal(received.length, 0)

      const channels = new DirectChannels({ WebSocket: WS, logger: silentLogger, signer: client })
      const conn = channels.get(base)
      await conn.open(2000)
      assert.equal(conn.authenticatedAs, undefined)
      assert.equal(conn.isOpen, true)
      const auth = received[0]
      assert.equal(auth?.type, 'auth')
      assert.equal(auth.event?.pubkey, client.pubkey)
      assert.equal(getTagValue(auth.event!, 'u'), wsUrl(base))
      assert.equal(getTagValue(auth.event!, 'method'), 'WS')
      assert.equal(getTagValue(auth.event!, 'payload'), undefined)
      assert.match(getTagValue(auth.event!, 'nonce') ?? '', /^[0-9a-f]{32}$/)
      channels.closeAll()
    } finally {
      server.close()
    }
  })
})
