// The gateway routes by model features (nips/routing.md "Candidates"), through the official `openai` package: two
// nodes serve llama3 and only one's engine says it takes tools, so a chat completion with tools goes to that one;
// for a model no live node serves with tools the answer is a 400 `unsupported_feature` with param `tools`.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import OpenAI, { BadRequestError } from 'openai'
import { startCoordinator, type TestCoordinator } from '../helpers/coordinator.ts'
import { startFakeOllama, type FakeOllamaServer } from '../helpers/fakeBackends/ollama.ts'
import { waitFor } from '../helpers/network.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const tools = [{ type: 'function' as const, function: { name: 'now', description: 'the time', parameters: { type: 'object', properties: {} } } }]
const messages = [{ role: 'user' as const, content: 'What time is it?' }]
const nowSeconds = () => Math.floor(Date.now() / 1000)

describe('gateway: routing by model features', () => {
  let relay: TestRelay
  let plainBackend: FakeOllamaServer
  let toolsBackend: FakeOllamaServer
  let nodes: TestNode[] = []
  let coord: TestCoordinator
  let openai: OpenAI
  const chats = (fake: FakeOllamaServer, model: string) => fake.received.filter((r) => r.path === '/api/chat' && (r.body as { model?: string }).model?.startsWith(model)).length

  before(async () => {
    relay = await startRelay()
    ;[plainBackend, toolsBackend] = await Promise.all([
      startFakeOllama({ models: ['llama3', 'mistral'], capabilities: { llama3: ['completion'], mistral: ['completion'] } }),
      startFakeOllama({ models: ['llama3', 'mistral'], capabilities: { llama3: ['completion', 'tools'], mistral: ['completion'] } }),
    ])
    nodes = await Promise.all([plainBackend, toolsBackend].map((b) => startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: b.url } })))
    coord = await startCoordinator({ relays: [relay.url], apiKeys: ['sk-test-open-000'] })
    openai = new OpenAI({ apiKey: 'sk-test-open-000', baseURL: `${coord.url}/v1`, maxRetries: 0 })
    await waitFor(() => [...coord.coordinator.market.liveNodes(nowSeconds())].length === 2, 'both nodes in the market')
  })
  after(async () => {
    await coord?.close()
    await Promise.all(nodes.map((n) => n.stop()))
    await Promise.all([plainBackend?.close(), toolsBackend?.close()])
    await relay?.close()
  })

  it('a chat completion with tools goes to the node whose model announces tools, streaming or not', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await openai.chat.completions.create({ model: 'llama3', messages, tools })
      assert.equal(res.choices[0]!.finish_reason, 'stop')
    }
    const stream = await openai.chat.completions.create({ model: 'llama3', messages, tools, stream: true })
    for await (const _ of stream) void _
    assert.equal(chats(toolsBackend, 'llama3'), 5)
    assert.equal(chats(plainBackend, 'llama3'), 0)
  })

  it('no live node serves the model with tools: 400 unsupported_feature, param tools, and no job runs', async () => {
    for (const stream of [false, true]) {
      await assert.rejects(openai.chat.completions.create({ model: 'mistral', messages, tools, tool_choice: 'required', stream }), (err: unknown) => {
        assert.ok(err instanceof BadRequestError, String(err))
        assert.equal(err.code, 'unsupported_feature')
        assert.equal(err.param, 'tools')
        assert.match(err.message, /No live node serves mistral with tools \(2 serve it without\); drop `tools`/)
        return true
      })
    }
    await assert.rejects(openai.chat.completions.create({ model: 'mistral', messages, response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } }, reasoning_effort: 'high' }), (err: unknown) => {
      assert.ok(err instanceof BadRequestError)
      assert.equal(err.param, 'reasoning_effort')
      assert.match(err.message, /with reasoning \(2 serve it without\)/)
      return true
    })
    assert.equal(chats(plainBackend, 'mistral') + chats(toolsBackend, 'mistral'), 0)
    // Plain text still reaches it.
    assert.equal((await openai.chat.completions.create({ model: 'mistral', messages })).choices[0]!.finish_reason, 'stop')
  })
})
