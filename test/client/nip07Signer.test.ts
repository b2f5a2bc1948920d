// The SDK runs whole jobs with a signer that exposes no secret: a NIP-07-shaped provider (key in a closure,
// nostr-tools' NIP-44) wrapped by createNip07Signer, against a real relay and a real node daemon. Direct and
// relay transports both decrypt every chunk through nip44.decrypt, and the node can read the receipt it is sent.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import WebSocket from 'ws'
import { generateSecretKey } from 'nostr-tools/pure'
import type { ReceiptIssuer } from '../../client/receipts.ts'
import { createRelayPool, type WebSocketConstructor } from '../../src/net/relayPool.ts'
import * as kinds from '../../src/protocol/kinds.ts'
import { decryptReceiptEvent } from '../../src/protocol/receipt.ts'
import { createNip07Signer } from '../../src/signer.ts'
import { createTestClient, waitForLive } from '../helpers/client.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import { closureNip07Provider } from '../helpers/nip07.ts'
import { startNode } from '../helpers/node.ts'
import { startRelay } from '../helpers/relay.ts'

const messages = [{ role: 'user' as const, content: 'hi' }]
const reply = 'Signed and sealed by an extension-shaped signer.'

test('createNip07Signer exposes no key: only the pubkey, signEvent and nip44', async () => {
  const provider = closureNip07Provider(generateSecretKey())
  const signer = await createNip07Signer(provider)
  assert.deepEqual(Object.keys(signer).sort(), ['nip44', 'pubkey', 'signEvent'])
  assert.equal(signer.conversationKey, undefined)
  assert.equal(provider.calls.getPublicKey, 1)
  await assert.rejects(createNip07Signer({ getPublicKey: provider.getPublicKey, signEvent: provider.signEvent }), /nip44/)
})

for (const transport of ['direct', 'relay'] as const) {
  test(`a job runs end to end with a NIP-07 signer (${transport} transport)`, async (t) => {
    const relay = await startRelay()
    t.after(() => relay.close())
    const backend = await startFakeOllama({ models: ['llama3'], reply })
    t.after(() => backend.close())
    const node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: backend.url }, config: { announceStream: transport === 'direct' } })
    t.after(() => node.stop())
    const provider = closureNip07Provider(generateSecretKey())
    const signer = await createNip07Signer(provider)
    const client = createTestClient({ relays: [relay.url], signer })
    t.after(() => client.close())
    await waitForLive(client, [node.pubkey])

    const stream = client.chat({ model: 'llama3', messages })
    let streamed = ''
    for await (const delta of stream) streamed += delta.text
    const result = await stream.result
    assert.equal(streamed, reply)
    assert.equal(result.text, reply)
    assert.equal(result.node, node.pubkey)
    assert.equal(result.jobs[0]?.transport, transport)
    assert.ok(provider.calls.encrypt >= 1, 'the job payload was encrypted by the provider')
    assert.ok(provider.calls.decrypt >= 1, 'streamed output was decrypted by the provider')
    assert.ok(provider.calls.signEvent >= 1)
  })
}

for (const transport of ['direct', 'relay'] as const) {
  test(`client and node both on NIP-07 signers: the node streams through nip44.encrypt, in order (${transport} transport)`, async (t) => {
    const relay = await startRelay()
    t.after(() => relay.close())
    // Many small deltas, so frames queued behind asynchronous encryption would show up out of order if they could.
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`)
    const backend = await startFakeOllama({ models: ['llama3'], reply: words.join(' ') })
    t.after(() => backend.close())
    const nodeProvider = closureNip07Provider(generateSecretKey())
    const node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: backend.url }, signer: await createNip07Signer(nodeProvider), config: { announceStream: transport === 'direct' } })
    t.after(() => node.stop())
    const client = createTestClient({ relays: [relay.url], signer: await createNip07Signer(closureNip07Provider(generateSecretKey())) })
    t.after(() => client.close())
    await waitForLive(client, [node.pubkey])

    const result = await client.complete({ model: 'llama3', messages })
    assert.equal(result.text, words.join(' '))
    assert.equal(result.jobs[0]?.transport, transport)
    assert.ok(nodeProvider.calls.decrypt >= 1, 'the node decrypted the job through its provider')
    assert.ok(nodeProvider.calls.encrypt >= 2, 'the node encrypted chunks and the result through its provider')
  })
}

test('a paid job with a NIP-07 signer: the receipt it encrypts is one the node can read', async (t) => {
  const relay = await startRelay()
  t.after(() => relay.close())
  const backend = await startFakeOllama({ models: ['llama3'], reply })
  t.after(() => backend.close())
  const node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: backend.url }, price: { input: '1000000', output: '1000000' } })
  t.after(() => node.stop())
  const signer = await createNip07Signer(closureNip07Provider(generateSecretKey()))
  const receipts: ReceiptIssuer = { issue: async (r) => ({ signature: '0x' + 'ab'.repeat(65), cumulative: r.cumulative.toString() }) }
  const client = createTestClient({ relays: [relay.url], signer, receipts })
  t.after(() => client.close())
  await waitForLive(client, [node.pubkey])

  const result = await client.complete({ model: 'llama3', messages })
  assert.ok(result.cost > 0n)
  const pool = createRelayPool({ urls: [relay.url], WebSocket: WebSocket as unknown as WebSocketConstructor })
  t.after(() => pool.close())
  await pool.ready()
  const [event, ...more] = await pool.query([{ kinds: [kinds.Receipt], authors: [signer.pubkey] }])
  assert.ok(event)
  assert.equal(more.length, 0)
  const voucher = await decryptReceiptEvent(event, node.signer)
  assert.ok(voucher.ok, !voucher.ok ? voucher.reason : '')
  assert.equal(voucher.data.cumulative, result.cost.toString())
})
