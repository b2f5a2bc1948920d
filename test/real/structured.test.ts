// Structured output on the real engine, through relay, node and gateway: a json_schema response format reaches
// llama-server as its grammar-constrained json_schema, and the answer parses and fits the schema (the tiny model's
// weights are random: only the grammar makes its output JSON), streaming and not. Tool calls need a chat template that
// renders tools, which tiny-a's ChatML does not (llama-server answers text): they run on tiny-tools in tools.test.ts.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import OpenAI from 'openai'
import { startCoordinator, type TestCoordinator } from '../helpers/coordinator.ts'
import { engine, engineMissingHint, startLlamaServer, type LlamaServer } from '../helpers/engine/llamaServer.ts'
import { tinyModels } from '../helpers/engine/tinyModel.ts'
import { waitFor } from '../helpers/network.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const skip = engine() ? false : engineMissingHint
// Bounded so the grammar ends the object within max_tokens (random weights would run a string or a number on).
const schema = { type: 'object', properties: { count: { type: 'integer', minimum: 0, maximum: 99 }, label: { type: 'string', maxLength: 12 } }, required: ['count', 'label'], additionalProperties: false }

/** Fits `schema`: an integer count in 0-99 and a label of at most 12 characters, nothing else. */
function fits(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const v = value as Record<string, unknown>
  return Number.isInteger(v.count) && (v.count as number) >= 0 && (v.count as number) <= 99 && typeof v.label === 'string' && v.label.length <= 12 && Object.keys(v).every((k) => k === 'count' || k === 'label')
}

describe('real engine: json_schema output through the gateway', { skip }, () => {
  let relay: TestRelay
  let llama: LlamaServer
  let node: TestNode
  let coord: TestCoordinator

  before(async () => {
    relay = await startRelay()
    llama = await startLlamaServer({ model: tinyModels.a, alias: 'tiny-a' })
    node = await startNode({ relays: [relay.url], backend: { kind: 'llamacpp', baseUrl: llama.url } })
    coord = await startCoordinator({ relays: [relay.url] })
    await waitFor(() => coord.coordinator.market.models(Math.floor(Date.now() / 1000)).find((m) => m.id === 'tiny-a')?.nodes === 1, 'the node in the market')
  })
  after(async () => {
    await coord?.close()
    await node?.stop()
    await llama?.stop()
    await relay?.close()
  })

  it('non-streaming and streaming answers parse as JSON and fit the schema', async () => {
    const openai = new OpenAI({ apiKey: 'unused', baseURL: `${coord.url}/v1`, maxRetries: 0 })
    const request = {
      model: 'tiny-a',
      messages: [{ role: 'user' as const, content: 'Count the apples.' }],
      max_tokens: 96,
      temperature: 0,
      response_format: { type: 'json_schema' as const, json_schema: { name: 'apples', schema, strict: true } },
    }
    const whole = await openai.chat.completions.create(request)
    const content = whole.choices[0]!.message.content ?? ''
    assert.ok(fits(JSON.parse(content)), `fits the schema: ${content}`)
    let streamed = ''
    for await (const chunk of await openai.chat.completions.create({ ...request, stream: true })) streamed += chunk.choices[0]?.delta?.content ?? ''
    assert.ok(fits(JSON.parse(streamed)), `the stream fits the schema: ${streamed}`)
  })
})
