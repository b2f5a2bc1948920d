// The chunk cipher on the wire (nips/stream.md, "Chunk cipher"): a job that asks for it gets chunk frames marked
// `enc` and sealed under its job key, which open to the streamed text; a job that does not (an older client) gets
// NIP-44 frames as before; and the SDK, which asks whenever its signer holds the conversation key, streams through it.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { NodeFrame } from '../../../src/protocol/frames.ts'
import { decryptDelta } from '../../../src/protocol/streamChunk.ts'
import { createTestClient, waitForLive } from '../../helpers/client.ts'
import { startFakeOllama, type FakeOllamaServer } from '../../helpers/fakeBackends/ollama.ts'
import { testSigner } from '../../helpers/keys.ts'
import { startNode, type TestNode } from '../../helpers/node.ts'
import { startRelay, type TestRelay } from '../../helpers/relay.ts'
import { connectWs, jobEvent, streamedText } from '../directClient.ts'

const reply = 'One two three four five six seven eight nine ten.'

describe('chunk frames sealed under the job key', () => {
  let relay: TestRelay
  let fake: FakeOllamaServer
  let node: TestNode
  const client = testSigner('cipher-client')
  const chunksOf = (frames: NodeFrame[], job: string) => frames.filter((f): f is Extract<NodeFrame, { type: 'chunk' }> => f.type === 'chunk' && f.job === job)

  before(async () => {
    relay = await startRelay()
    fake = await startFakeOllama({ models: ['llama3'], reply, tokensPerSecond: 2000 })
    node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url } })
  })
  after(async () => {
    await node?.stop()
    await fake?.close()
    await relay?.close()
  })

  it('asked for: every chunk frame is sealed (enc) and opens to the text; not asked: NIP-44 frames', async () => {
    const ws = await connectWs(node.streamUrl, client)
    const sealed = await jobEvent(client, node.pubkey, { chunks: 'chacha20poly1305' })
    await ws.submit(sealed)
    assert.equal((await ws.end(sealed.id)).type, 'result')
    const old = await jobEvent(client, node.pubkey)
    await ws.submit(old)
    assert.equal((await ws.end(old.id)).type, 'result')
    await ws.close()
    const ck = client.conversationKey(node.pubkey)
    const a = chunksOf(ws.frames, sealed.id)
    assert.ok(a.length > 0 && a.every((f) => f.enc === 'chacha20poly1305'))
    assert.equal(streamedText(ws.frames, sealed.id, ck), reply)
    assert.throws(() => decryptDelta(ck, a[0]!.c), Error, 'a sealed chunk is not a NIP-44 payload')
    const b = chunksOf(ws.frames, old.id)
    assert.ok(b.length > 0 && b.every((f) => f.enc === undefined))
    assert.equal(b.map((f) => decryptDelta(ck, f.c)).join(''), reply)
  })

  it('the SDK asks for it and streams through it', async () => {
    const sdk = createTestClient({ relays: [relay.url], name: 'cipher-sdk' })
    try {
      await waitForLive(sdk, [node.pubkey])
      const before = fake.received.length
      const r = await sdk.complete({ model: 'llama3', messages: [{ role: 'user', content: 'count' }] })
      assert.equal(r.text, reply)
      assert.ok(fake.received.length > before)
    } finally {
      await sdk.close()
    }
  })
})
