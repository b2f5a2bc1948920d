// Cancellation: stream.cancel() on the direct channel and an AbortSignal on the relay transport both reach
// the node, whose fake backend sees its request aborted.
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { CancelledError } from '../../client/errors.ts'
import { createTestClient, waitForLive } from '../helpers/client.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import type { FakeBackendServer } from '../helpers/fakeBackends/pacer.ts'
import { startNode } from '../helpers/node.ts'
import { startRelay } from '../helpers/relay.ts'

const longReply = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ')

async function waitForCancel(fake: FakeBackendServer): Promise<void> {
  for (let i = 0; i < 100 && fake.stats.cancelled === 0; i++) await sleep(30)
  assert.equal(fake.stats.cancelled, 1, 'the backend request was aborted')
}

for (const mode of ['direct + stream.cancel()', 'relay + AbortSignal'] as const) {
  test(`cancel: ${mode}`, async (t) => {
    const relay = await startRelay()
    t.after(() => relay.close())
    const fake = await startFakeOllama({ models: ['llama3'], reply: longReply, tokensPerSecond: 40 })
    t.after(() => fake.close())
    const direct = mode.startsWith('direct')
    const node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, config: { announceStream: direct } })
    t.after(() => node.stop())
    const client = createTestClient({ relays: [relay.url] })
    t.after(() => client.close())
    await waitForLive(client, [node.pubkey])
    const controller = new AbortController()
    const stream = client.chat({ model: 'llama3', messages: [{ role: 'user', content: 'talk' }], signal: controller.signal })
    let text = ''
    await assert.rejects(
      (async () => {
        for await (const d of stream) {
          text += d.text
          if (direct) stream.cancel()
          else controller.abort()
        }
      })(),
      CancelledError,
    )
    await assert.rejects(stream.result, CancelledError)
    assert.ok(text.length > 0 && text.length < longReply.length)
    await waitForCancel(fake)
    assert.equal(fake.stats.activeStreams, 0)
  })
}
