// The SDK routes by model features (nips/routing.md "Candidates"): two nodes serve llama3 and only one's engine
// says it takes tools, so a request with tools goes to that one, every time; for a model neither announces tools
// for, the request fails with UnsupportedFeatureError naming the feature, and no backend sees it.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { UnsupportedFeatureError } from '../../client/errors.ts'
import type { InfernetClient } from '../../client/client.ts'
import { createTestClient, waitForLive } from '../helpers/client.ts'
import { startFakeOllama, type FakeOllamaServer } from '../helpers/fakeBackends/ollama.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const tools = [{ type: 'function' as const, function: { name: 'now', description: 'the time', parameters: { type: 'object', properties: {} } } }]
const messages = [{ role: 'user' as const, content: 'What time is it?' }]

describe('SDK: routing by model features', () => {
  let relay: TestRelay
  let plainBackend: FakeOllamaServer
  let toolsBackend: FakeOllamaServer
  let plain: TestNode
  let withTools: TestNode
  let client: InfernetClient

  before(async () => {
    relay = await startRelay()
    ;[plainBackend, toolsBackend] = await Promise.all([
      startFakeOllama({ models: ['llama3', 'mistral'], capabilities: { llama3: ['completion'], mistral: ['completion'] } }),
      startFakeOllama({ models: ['llama3', 'mistral'], capabilities: { llama3: ['completion', 'tools'], mistral: ['completion'] } }),
    ])
    ;[plain, withTools] = await Promise.all([
      startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: plainBackend.url } }),
      startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: toolsBackend.url } }),
    ])
    client = createTestClient({ relays: [relay.url] })
    await waitForLive(client, [plain.pubkey, withTools.pubkey], { model: 'llama3' })
  })
  after(async () => {
    await client?.close()
    await Promise.all([plain?.stop(), withTools?.stop()])
    await Promise.all([plainBackend?.close(), toolsBackend?.close()])
    await relay?.close()
  })

  it('announces what each engine says', async () => {
    const byNode = new Map((await client.nodes({ model: 'llama3' })).map((n) => [n.pubkey, n.capability.models.find((m) => m.id === 'llama3')?.features]))
    assert.deepEqual(byNode.get(plain.pubkey), ['chat', 'json_schema', 'logprobs'])
    assert.deepEqual(byNode.get(withTools.pubkey), ['chat', 'tools', 'json_schema', 'logprobs'])
  })

  it('a request with tools goes to the node whose model announces tools, every time; the other serves plain text', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await client.chat({ model: 'llama3', messages, params: { tools } }).result
      assert.equal(r.node, withTools.pubkey)
    }
    assert.equal(plainBackend.received.filter((r) => r.path === '/api/chat').length, 0)
    // The plain node still serves plain text, and pinned with tools it is no candidate (the policy's fault, not the model's).
    assert.equal((await client.chat({ model: 'llama3', messages, routing: { pin: plain.pubkey } }).result).node, plain.pubkey)
    await assert.rejects(client.chat({ model: 'llama3', messages, params: { tools }, routing: { pin: plain.pubkey } }).result, { name: 'NoNodeForModelError' })
  })

  it('no live node announcing the feature: UnsupportedFeatureError naming it, and no job runs', async () => {
    const chats = () => plainBackend.received.concat(toolsBackend.received).filter((r) => r.path === '/api/chat' && (r.body as { model?: string }).model?.startsWith('mistral')).length
    await assert.rejects(client.chat({ model: 'mistral', messages, params: { tools, tool_choice: 'required' } }).result, (err: unknown) => {
      assert.ok(err instanceof UnsupportedFeatureError, String(err))
      assert.equal(err.shortMessage, 'No live node serves mistral with tools (2 serve it without).')
      assert.deepEqual([err.model, err.features, err.without], ['mistral', ['tools'], 2])
      assert.match(err.message, /Drop tools from the request/)
      return true
    })
    await assert.rejects(client.chat({ model: 'mistral', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } }] as never }] }).result, /with vision \(2 serve it without\)/)
    assert.equal(chats(), 0)
  })
})
