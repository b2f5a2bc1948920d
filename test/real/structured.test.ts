// Structured output on the real engine, through relay, node and gateway: a json_schema response format reaches
// llama-server as its grammar-constrained json_schema, and the answer parses and fits the schema (the tiny model's
// weights are random: only the grammar makes its output JSON), streaming and not. Tool calls need a chat template that
// renders tools, which tiny-a's ChatML does not (llama-server answers text): they run on tiny-tools in tools.test.ts.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import OpenAI from 'openai'
import { boundedSchema as schema, fitsBoundedSchema as fits, startEngineGateway, type EngineGateway } from '../helpers/engine/engineGateway.ts'
import { engine, engineMissingHint } from '../helpers/engine/llamaServer.ts'
import { tinyModels } from '../helpers/engine/tinyModel.ts'

const skip = engine() ? false : engineMissingHint

describe('real engine: json_schema output through the gateway', { skip }, () => {
  let net: EngineGateway

  before(async () => {
    net = await startEngineGateway({ model: tinyModels.a, alias: 'tiny-a' })
  })
  after(async () => {
    await net?.close()
  })

  it('non-streaming and streaming answers parse as JSON and fit the schema', async () => {
    const openai = new OpenAI({ apiKey: 'unused', baseURL: `${net.coord.url}/v1`, maxRetries: 0 })
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
