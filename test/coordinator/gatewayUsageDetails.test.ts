// Usage details through the network (nips/job-result.md "Usage details"): the engine's reasoning and cached-prompt
// counts ride in the node's encrypted result to the client, and the gateway answers them as OpenAI does
// (completion_tokens_details.reasoning_tokens, prompt_tokens_details.cached_tokens), streaming and not, read with the
// official `openai` package; the reasoning itself streams as delta.reasoning_content. Where the engine says no count
// (Ollama), the node counts the chunks that carried thinking; a reply without reasoning says no detail at all.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import OpenAI from 'openai'
import { startCoordinator, type TestCoordinator } from '../helpers/coordinator.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import { startFakeOpenAI } from '../helpers/fakeBackends/openai.ts'
import type { FakeBackendServer } from '../helpers/fakeBackends/pacer.ts'
import { waitFor } from '../helpers/network.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const nowSeconds = () => Math.floor(Date.now() / 1000)
const reasoning = 'The user greets me, so I greet them back.'
const messages = [{ role: 'user' as const, content: 'Hello!' }]

describe('gateway: usage details', () => {
  let relay: TestRelay
  const backends: FakeBackendServer[] = []
  const nodes: TestNode[] = []
  let coord: TestCoordinator
  let openai: OpenAI

  before(async () => {
    relay = await startRelay()
    backends.push(
      await startFakeOpenAI({ flavor: 'vllm', models: ['thinker'], reply: 'Hello to you too.', reasoning, cachedPromptTokens: 3 }),
      await startFakeOpenAI({ flavor: 'vllm', models: ['plain'], reply: 'Hi.' }),
      await startFakeOllama({ models: ['qwen3'], reply: 'Hi from Ollama.', thinking: 'Short thought here.', capabilities: { qwen3: ['completion', 'thinking'] } }),
    )
    nodes.push(
      await startNode({ relays: [relay.url], backend: { kind: 'vllm', baseUrl: backends[0]!.url }, config: { features: ['reasoning'] } }),
      await startNode({ relays: [relay.url], backend: { kind: 'vllm', baseUrl: backends[1]!.url } }),
      await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: backends[2]!.url } }),
    )
    coord = await startCoordinator({ relays: [relay.url], apiKeys: ['sk-test-usage-000'] })
    openai = new OpenAI({ apiKey: 'sk-test-usage-000', baseURL: `${coord.url}/v1`, maxRetries: 0 })
    await waitFor(() => [...coord.coordinator.market.liveNodes(nowSeconds())].length === 3, 'three nodes in the market')
  })
  after(async () => {
    await coord?.close()
    await Promise.all(nodes.map((n) => n.stop()))
    await Promise.all(backends.map((b) => b.close()))
    await relay?.close()
  })

  it("says the engine's reasoning and cached-prompt counts, in the whole answer and in the stream's usage chunk", async () => {
    const whole = await openai.chat.completions.create({ model: 'thinker', messages })
    const reasoningTokens = reasoning.split(/(?<= )/).length
    assert.equal(whole.choices[0]!.message.content, 'Hello to you too.')
    assert.equal((whole.choices[0]!.message as { reasoning_content?: string }).reasoning_content, reasoning)
    assert.equal(whole.usage?.completion_tokens_details?.reasoning_tokens, reasoningTokens)
    assert.equal(whole.usage?.prompt_tokens_details?.cached_tokens, 3)
    assert.ok(whole.usage!.completion_tokens > reasoningTokens, 'the reasoning is part of the completion count')

    const stream = await openai.chat.completions.create({ model: 'thinker', messages, stream: true, stream_options: { include_usage: true } })
    let streamedReasoning = ''
    let usage: OpenAI.CompletionUsage | undefined
    for await (const chunk of stream) {
      streamedReasoning += (chunk.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? ''
      if (chunk.usage) usage = chunk.usage
    }
    assert.equal(streamedReasoning, reasoning)
    assert.equal(usage?.completion_tokens_details?.reasoning_tokens, reasoningTokens)
    assert.equal(usage?.prompt_tokens_details?.cached_tokens, 3)
  })

  it('counts the thinking chunks where the engine says no count (Ollama), and says no detail for a plain reply', async () => {
    const ollama = await openai.chat.completions.create({ model: 'qwen3', messages })
    assert.equal((ollama.choices[0]!.message as { reasoning_content?: string }).reasoning_content, 'Short thought here.')
    const thought = ollama.usage?.completion_tokens_details?.reasoning_tokens
    assert.ok(thought !== undefined && thought > 0 && thought <= ollama.usage!.completion_tokens, `reasoning tokens ${thought} of ${ollama.usage?.completion_tokens}`)
    assert.equal(ollama.usage?.prompt_tokens_details, undefined, 'Ollama says nothing of its prompt cache')

    const plain = await openai.chat.completions.create({ model: 'plain', messages })
    assert.equal(plain.usage?.completion_tokens_details, undefined)
    assert.equal(plain.usage?.prompt_tokens_details, undefined)

    // The Responses API always has both details: the known count, else 0.
    const response = await openai.responses.create({ model: 'thinker', input: 'Hello!' })
    assert.equal(response.usage?.output_tokens_details.reasoning_tokens, reasoning.split(/(?<= )/).length)
    assert.equal(response.usage?.input_tokens_details.cached_tokens, 3)
  })
})
