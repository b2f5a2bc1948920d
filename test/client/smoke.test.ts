import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createTestClient } from '../helpers/client.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import { startNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let relay: TestRelay
before(async () => {
  relay = await startRelay()
})
after(async () => {
  await relay.close()
})

test('smoke: discover and chat', async (t) => {
  const fake = await startFakeOllama({ models: ['llama3'] })
  t.after(() => fake.close())
  const node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, price: { input: '0', output: '0' }, logLevel: 'warn' })
  t.after(() => node.stop())
  const client = createTestClient({ relays: [relay.url] })
  t.after(() => client.close())
  const nodes = await client.nodes({ model: 'llama3' })
  console.log(nodes.map((n) => ({ pk: n.pubkey, live: n.live, models: n.models, load: n.load })))
  const stream = client.chat({ model: 'llama3', messages: [{ role: 'user', content: 'hi' }] })
  let text = ''
  for await (const d of stream) text += d.text
  const r = await stream.result
  console.log(r)
  assert.equal(r.text, text)
})
