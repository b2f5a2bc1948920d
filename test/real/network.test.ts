// The node agent against the real engine, through the whole network: llama.cpp's llama-server (built by
// `npm run engine`) on the project's tiny models, our relay, the node daemon, the SDK and a coordinator's
// OpenAI-compatible gateway driven by the official `openai` package. Every figure the network reports is
// checked against what llama-server itself answers for the same request. Skips with one line when the engine
// is not built.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import OpenAI from 'openai'
import type { CapabilityContent } from '../../src/protocol/capability.ts'
import { startCoordinator, type TestCoordinator } from '../helpers/coordinator.ts'
import { createTestClient } from '../helpers/client.ts'
import { engine, engineMissingHint, startLlamaServer, type LlamaServer } from '../helpers/engine/llamaServer.ts'
import { tinyModels } from '../helpers/engine/tinyModel.ts'
import { waitFor } from '../helpers/network.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

type Completion = { choices: { message: { content: string | null }; finish_reason: string }[]; usage: { prompt_tokens: number; completion_tokens: number } }

/** The same request straight to the engine: the baseline every figure is checked against. */
async function direct(engineUrl: string, body: Record<string, unknown>): Promise<Completion> {
  const res = await fetch(`${engineUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  assert.equal(res.status, 200, await res.clone().text())
  return (await res.json()) as Completion
}

const skip = engine() ? false : engineMissingHint

describe('real engine: llama-server behind a node, through relay, SDK and gateway', { skip }, () => {
  let relay: TestRelay
  let llama: LlamaServer
  let eos: LlamaServer
  let node: TestNode
  let eosNode: TestNode
  let coord: TestCoordinator
  let openai: OpenAI
  const messages = [{ role: 'user' as const, content: 'Tell me about the network.' }]

  before(async () => {
    relay = await startRelay()
    ;[llama, eos] = await Promise.all([startLlamaServer({ model: tinyModels.a }), startLlamaServer({ model: tinyModels.eos })])
    ;[node, eosNode] = await Promise.all([
      startNode({ relays: [relay.url], backend: { kind: 'llamacpp', baseUrl: llama.url } }),
      startNode({ relays: [relay.url], backend: { kind: 'llamacpp', baseUrl: eos.url } }),
    ])
    coord = await startCoordinator({ relays: [relay.url] })
    openai = new OpenAI({ apiKey: 'unused', baseURL: `${coord.url}/v1`, maxRetries: 0 })
    const now = () => Math.floor(Date.now() / 1000)
    await waitFor(() => coord.coordinator.market.hasModel('tiny-a', now()) && coord.coordinator.market.hasModel('tiny-eos', now()), 'both engines in the market')
  })
  after(async () => {
    await coord?.close()
    await Promise.all([node?.stop(), eosNode?.stop()])
    await Promise.all([llama?.stop(), eos?.stop()])
    await relay?.close()
  })

  it('lists the engine\'s models; the capability announces the context one slot serves and the weights\' digest', async () => {
    const list = await openai.models.list()
    assert.deepEqual(list.data.map((m) => m.id).sort(), ['tiny-a', 'tiny-eos'])
    // -c 2048 over 2 slots: 1024 tokens per request, not the model's 4096 training context.
    const res = await fetch(`${coord.url}/api/v1/nodes?model=tiny-a`)
    const body = (await res.json()) as { nodes: { pubkey: string; capability: { content: string } }[] }
    const announced = body.nodes.map((n) => {
      const m = (JSON.parse(n.capability.content) as CapabilityContent).models.find((x) => x.id === 'tiny-a')
      return [n.pubkey, m?.contextLength, m?.digest]
    })
    // Identity: the sha256 of the GGUF file the engine loaded (its /props model_path), read by the node.
    const digest = `sha256:${createHash('sha256').update(readFileSync(llama.modelPath)).digest('hex')}`
    assert.deepEqual(announced, [[node.pubkey, 1024, digest]])
  })

  it('non-streaming: the text and usage are the engine\'s own, max_tokens ends with "length"', async () => {
    const body = { model: 'tiny-a', messages, max_tokens: 24, temperature: 0 }
    const baseline = await direct(llama.url, body)
    const res = await openai.chat.completions.create(body)
    assert.equal(res.choices[0]!.message.content, baseline.choices[0]!.message.content)
    assert.equal(res.choices[0]!.finish_reason, 'length')
    assert.equal(baseline.choices[0]!.finish_reason, 'length')
    assert.equal(res.usage?.completion_tokens, baseline.usage.completion_tokens)
    assert.equal(res.usage?.completion_tokens, 24)
    assert.equal(res.usage?.prompt_tokens, baseline.usage.prompt_tokens)
  })

  it('streaming: the same text chunk by chunk, usage in the last chunk, [DONE]', async () => {
    const body = { model: 'tiny-a', messages, max_tokens: 40, temperature: 0 }
    const baseline = await direct(llama.url, body)
    const stream = await openai.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } })
    let text = ''
    let finish: string | null = null
    let usage: OpenAI.CompletionUsage | undefined
    let chunks = 0
    for await (const chunk of stream) {
      chunks++
      text += chunk.choices[0]?.delta.content ?? ''
      finish = chunk.choices[0]?.finish_reason ?? finish
      if (chunk.usage) usage = chunk.usage
    }
    assert.ok(chunks > 2, `streamed in ${chunks} chunks`)
    assert.equal(text, baseline.choices[0]!.message.content)
    assert.equal(finish, 'length')
    assert.equal(usage?.completion_tokens, baseline.usage.completion_tokens)
    assert.equal(usage?.prompt_tokens, baseline.usage.prompt_tokens)
  })

  it('the SDK gets the engine\'s text and usage in its verified result', async () => {
    const client = createTestClient({ relays: [relay.url], name: 'real-sdk' })
    try {
      const body = { model: 'tiny-a', messages, max_tokens: 16, temperature: 0 }
      const baseline = await direct(llama.url, body)
      const r = await client.complete({ model: body.model, messages, params: { max_tokens: body.max_tokens, temperature: body.temperature } })
      assert.equal(r.node, node.pubkey)
      assert.equal(r.text, baseline.choices[0]!.message.content)
      const { cachedPromptTokens, ...counts } = r.usage
      assert.deepEqual(counts, { promptTokens: baseline.usage.prompt_tokens, completionTokens: baseline.usage.completion_tokens })
      // llama-server says how much of a prompt its cache served (prompt_tokens_details.cached_tokens): the same prompt
      // just ran, so most of it; the node's result carries that count to the SDK (nips/job-result.md "Usage details").
      const engineSays = (baseline.usage as { prompt_tokens_details?: { cached_tokens?: number } }).prompt_tokens_details
      if (engineSays) assert.ok(cachedPromptTokens !== undefined && cachedPromptTokens > 0 && cachedPromptTokens <= counts.promptTokens, `cached ${cachedPromptTokens} of ${counts.promptTokens}`)
      else assert.equal(cachedPromptTokens, undefined)
    } finally {
      await client.close()
    }
  })

  it('a model that ends its answer stops with "stop" before max_tokens, seeded sampling repeats', async () => {
    const body = { model: 'tiny-eos', messages, max_tokens: 400, temperature: 1, seed: 7 }
    const baseline = await direct(eos.url, body)
    assert.equal(baseline.choices[0]!.finish_reason, 'stop')
    const res = await openai.chat.completions.create(body)
    assert.equal(res.choices[0]!.finish_reason, 'stop')
    assert.ok(res.usage!.completion_tokens < 400)
    assert.equal(res.choices[0]!.message.content, baseline.choices[0]!.message.content, 'the seed reached the engine')
    assert.equal(res.usage!.completion_tokens, baseline.usage.completion_tokens)
  })

  it('stop strings end the text where the engine ends it', async () => {
    const free = await direct(eos.url, { model: 'tiny-eos', messages, max_tokens: 400, temperature: 1, seed: 11 })
    const full = free.choices[0]!.message.content!
    const words = full.trim().split(' ')
    assert.ok(words.length >= 4, `a long enough answer to cut: ${JSON.stringify(full)}`)
    const stop = ` ${words[2]}`
    const cut = full.slice(0, full.indexOf(stop))
    const body = { model: 'tiny-eos', messages, max_tokens: 400, temperature: 1, seed: 11, stop: [stop] }
    const baseline = await direct(eos.url, body)
    assert.equal(baseline.choices[0]!.message.content, cut)
    const res = await openai.chat.completions.create(body)
    assert.equal(res.choices[0]!.message.content, cut)
    assert.equal(res.choices[0]!.finish_reason, 'stop')
    const streamed = await openai.chat.completions.create({ ...body, stream: true })
    let text = ''
    for await (const chunk of streamed) text += chunk.choices[0]?.delta.content ?? ''
    assert.equal(text, cut)
  })
})
