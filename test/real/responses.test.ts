// The Responses API on the real engine, through relay, node and gateway: `responses.create` from the official `openai`
// package answers text (llama-server's own tokens, counted in usage), streams it as events the package assembles into
// the same text, and a text.format json_schema reaches llama-server as its grammar-constrained json_schema, so the
// answer parses and fits the schema (the tiny model's weights are random: only the grammar makes its output JSON).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import OpenAI from 'openai'
import { boundedSchema as schema, fitsBoundedSchema as fits, startEngineGateway, type EngineGateway } from '../helpers/engine/engineGateway.ts'
import { engine, engineMissingHint } from '../helpers/engine/llamaServer.ts'
import { tinyModels } from '../helpers/engine/tinyModel.ts'

const skip = engine() ? false : engineMissingHint

describe('real engine: /v1/responses through the gateway', { skip }, () => {
  let net: EngineGateway
  const openai = () => new OpenAI({ apiKey: 'unused', baseURL: `${net.coord.url}/v1`, maxRetries: 0 })

  before(async () => {
    net = await startEngineGateway({ model: tinyModels.a, alias: 'tiny-a' })
  })
  after(async () => {
    await net?.close()
  })

  it('text: a response with the engine output and its usage, and the same text streamed', async () => {
    const request = { model: 'tiny-a', instructions: 'Be brief.', input: 'Say hello.', max_output_tokens: 12, temperature: 0 }
    const whole = await openai().responses.create(request)
    assert.ok(whole.status === 'completed' || (whole.status === 'incomplete' && whole.incomplete_details?.reason === 'max_output_tokens'), whole.status)
    assert.ok(whole.output_text.length > 0, 'the engine wrote something')
    assert.ok(whole.usage!.output_tokens > 0 && whole.usage!.output_tokens <= 12)
    assert.ok(whole.usage!.input_tokens > 0)
    const stream = openai().responses.stream(request)
    let deltas = ''
    stream.on('response.output_text.delta', (e) => (deltas += e.delta))
    const final = await stream.finalResponse()
    assert.equal(final.output_text, deltas)
    assert.equal(final.output_text, whole.output_text, 'temperature 0: the same text streaming and not')
  })

  it('text.format json_schema: the answer parses and fits the schema, streaming and not', async () => {
    const request = { model: 'tiny-a', input: 'Count the apples.', max_output_tokens: 96, temperature: 0, text: { format: { type: 'json_schema' as const, name: 'apples', schema, strict: true } } }
    const whole = await openai().responses.create(request)
    assert.ok(fits(JSON.parse(whole.output_text)), `fits the schema: ${whole.output_text}`)
    let streamed = ''
    for await (const e of await openai().responses.create({ ...request, stream: true })) if (e.type === 'response.output_text.delta') streamed += e.delta
    assert.ok(fits(JSON.parse(streamed)), `the stream fits the schema: ${streamed}`)
  })
})
