// POST /v1/responses (issue 17): the official `openai` package's Responses client against a real coordinator's gateway,
// a real relay and real node daemons whose fake engines speak vLLM's OpenAI format. The request becomes the same chat
// job /v1/chat/completions sends (asserted on what the engine received), the answer comes back as a response object or
// as OpenAI's streaming events that the package assembles, a function-call loop round-trips through input items, and
// what a stateless gateway cannot do is a 400 naming the parameter. A node failing mid-stream ends with
// response.failed, not a hang.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import OpenAI, { BadRequestError, NotFoundError } from 'openai'
import type { ResponseInput, ResponseStreamEvent, FunctionTool } from 'openai/resources/responses/responses'
import { startCoordinator, type TestCoordinator } from '../helpers/coordinator.ts'
import { startFakeOpenAI } from '../helpers/fakeBackends/openai.ts'
import type { FakeBackendServer } from '../helpers/fakeBackends/pacer.ts'
import { waitFor } from '../helpers/network.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const reply = 'It is sunny in Paris.'
const weather: FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city', 'days'] },
  strict: true,
}

type ChatBody = { messages: { role: string; content: unknown; tool_call_id?: string; tool_calls?: { id: string; function: { name: string } }[] }[]; response_format?: unknown; tools?: unknown[]; tool_choice?: unknown; max_tokens?: number }

describe('gateway: POST /v1/responses', () => {
  let relay: TestRelay
  let vllm: FakeBackendServer
  let dying: FakeBackendServer
  const nodes: TestNode[] = []
  let coord: TestCoordinator
  const openai = () => new OpenAI({ apiKey: 'sk-test-responses-00', baseURL: `${coord.url}/v1`, maxRetries: 0 })
  const lastBody = () => vllm.stats.lastChatBody as ChatBody

  before(async () => {
    relay = await startRelay()
    vllm = await startFakeOpenAI({ flavor: 'vllm', models: ['tool-model'], reply })
    // Paced, so the node has streamed tokens when the engine fails.
    dying = await startFakeOpenAI({ flavor: 'vllm', models: ['dying-model'], reply: 'one two three four five six seven eight', tokensPerSecond: 40, faults: { midStreamErrorAfter: 3 } })
    // vLLM cannot tell the node it has a tool-call parser: the operator says so (INFERNET_FEATURES).
    nodes.push(await startNode({ relays: [relay.url], backend: { kind: 'vllm', baseUrl: vllm.url }, config: { features: ['tools'] } }))
    nodes.push(await startNode({ relays: [relay.url], backend: { kind: 'vllm', baseUrl: dying.url } }))
    coord = await startCoordinator({ relays: [relay.url], apiKeys: ['sk-test-responses-00'] })
    const now = () => Math.floor(Date.now() / 1000)
    await waitFor(() => coord.coordinator.market.hasModel('tool-model', now()) && coord.coordinator.market.hasModel('dying-model', now()), 'both nodes in the market')
  })
  after(async () => {
    await coord?.close()
    for (const n of nodes) await n.stop()
    await vllm?.close()
    await dying?.close()
    await relay?.close()
  })

  it('non-streaming text: a response object whose output_text the SDK reads, instructions as the system message', async () => {
    const res = await openai().responses.create({ model: 'tool-model', instructions: 'Answer in one sentence.', input: 'Weather in Paris?', metadata: { trace: 't-1' }, store: true })
    assert.equal(res.object, 'response')
    assert.match(res.id, /^resp_/)
    assert.equal(res.status, 'completed')
    assert.equal(res.output_text, reply)
    const message = res.output[0]
    assert.ok(message?.type === 'message')
    assert.deepEqual(message.content[0], { type: 'output_text', text: reply, annotations: [], logprobs: [] })
    assert.ok(res.usage && res.usage.output_tokens > 0 && res.usage.total_tokens === res.usage.input_tokens + res.usage.output_tokens)
    assert.deepEqual(res.metadata, { trace: 't-1' })
    // Accepted, and answered as not stored: this gateway keeps nothing.
    assert.equal((res as { store?: boolean }).store, false)
    assert.deepEqual(lastBody().messages.slice(0, 2), [
      { role: 'system', content: 'Answer in one sentence.' },
      { role: 'user', content: 'Weather in Paris?' },
    ])
  })

  it('streaming text: OpenAI event order with sequence numbers, assembled by responses.create and responses.stream', async () => {
    const events: ResponseStreamEvent[] = []
    for await (const e of await openai().responses.create({ model: 'tool-model', input: [{ role: 'user', content: [{ type: 'input_text', text: 'Weather?' }] }], stream: true })) events.push(e)
    const order = events.map((e) => e.type).filter((t, i, all) => t !== all[i - 1])
    assert.deepEqual(order, [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ])
    assert.deepEqual(events.map((e) => e.sequence_number), events.map((_, i) => i))
    const text = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('')
    assert.equal(text, reply)
    const done = events.at(-1)
    assert.ok(done?.type === 'response.completed' && done.response.usage!.output_tokens > 0)

    const stream = openai().responses.stream({ model: 'tool-model', input: 'Weather?' })
    const final = await stream.finalResponse()
    assert.equal(final.output_text, reply)
    assert.equal(final.status, 'completed')
  })

  it("a function tool with tool_choice 'required' returns a function_call item whose arguments parse", async () => {
    const res = await openai().responses.create({ model: 'tool-model', input: 'Weather in Tokyo for two days?', tools: [weather], tool_choice: 'required', parallel_tool_calls: false })
    const call = res.output.find((o) => o.type === 'function_call')
    assert.ok(call && call.type === 'function_call')
    assert.equal(call.name, 'get_weather')
    assert.ok(call.call_id.length > 0)
    const args = JSON.parse(call.arguments) as { city: unknown; days: unknown }
    assert.equal(typeof args.city, 'string')
    assert.ok(Number.isInteger(args.days))
    assert.equal(res.output_text, '')
    // The flat Responses tool reached the engine as a Chat Completions tool.
    const body = lastBody()
    assert.deepEqual(body.tools, [{ type: 'function', function: { name: 'get_weather', description: weather.description, parameters: weather.parameters, strict: true } }])
    assert.equal(body.tool_choice, 'required')

    // Streamed, the call arrives as function_call_arguments deltas the stream helper assembles.
    const stream = openai().responses.stream({ model: 'tool-model', input: 'Weather?', tools: [weather], tool_choice: 'required' })
    const types = new Set<string>()
    stream.on('event', (e) => types.add(e.type))
    const final = await stream.finalResponse()
    const streamed = final.output.find((o) => o.type === 'function_call')
    assert.ok(streamed && streamed.type === 'function_call')
    assert.deepEqual(Object.keys(JSON.parse(streamed.arguments) as object).sort(), ['city', 'days'])
    assert.ok(types.has('response.function_call_arguments.delta') && types.has('response.function_call_arguments.done'))
  })

  it('a two-turn loop: function_call and function_call_output items as input get a text answer', async () => {
    const input: ResponseInput = [{ role: 'user', content: 'Weather in the city?' }]
    const first = await openai().responses.create({ model: 'tool-model', input, tools: [weather] })
    const calls = first.output.filter((o) => o.type === 'function_call')
    const call = calls[0]
    assert.ok(call)
    input.push(...calls, { type: 'function_call_output', call_id: call.call_id, output: JSON.stringify({ sky: 'sunny', celsius: 21 }) })
    const second = await openai().responses.create({ model: 'tool-model', input, tools: [weather] })
    assert.equal(second.status, 'completed')
    assert.equal(second.output_text, reply)
    const messages = lastBody().messages
    assert.equal(messages.find((m) => m.role === 'assistant')?.tool_calls?.[0]?.id, call.call_id)
    assert.deepEqual(messages.at(-1), { role: 'tool', tool_call_id: call.call_id, content: JSON.stringify({ sky: 'sunny', celsius: 21 }) })
  })

  it('text.format json_schema reaches the engine as response_format and the answer fits it', async () => {
    const schema = { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name', 'age'], additionalProperties: false }
    const res = await openai().responses.create({ model: 'tool-model', input: 'A person', text: { format: { type: 'json_schema', name: 'person', schema, strict: true } } })
    assert.deepEqual(lastBody().response_format, { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } })
    const value = JSON.parse(res.output_text) as { name: unknown; age: unknown }
    assert.equal(typeof value.name, 'string')
    assert.ok(Number.isInteger(value.age))
    assert.deepEqual(res.text?.format, { type: 'json_schema', name: 'person', schema, strict: true })
  })

  it('max_output_tokens cuts the answer: status incomplete, reason max_output_tokens, streaming and not', async () => {
    const res = await openai().responses.create({ model: 'tool-model', input: 'Weather?', max_output_tokens: 2 })
    assert.equal(lastBody().max_tokens, 2)
    assert.equal(res.status, 'incomplete')
    assert.deepEqual(res.incomplete_details, { reason: 'max_output_tokens' })
    assert.ok(res.output_text.length > 0 && res.output_text.length < reply.length)
    const events: ResponseStreamEvent[] = []
    for await (const e of await openai().responses.create({ model: 'tool-model', input: 'Weather?', max_output_tokens: 2, stream: true })) events.push(e)
    const last = events.at(-1)
    assert.ok(last?.type === 'response.incomplete', last?.type)
    assert.equal(last.response.incomplete_details?.reason, 'max_output_tokens')
  })

  it('what a stateless gateway cannot do, and bad input, is a 400 naming the parameter', async () => {
    const param = async (body: Record<string, unknown>) => {
      try {
        await openai().responses.create({ model: 'tool-model', input: 'x', ...body } as never)
      } catch (err) {
        assert.ok(err instanceof BadRequestError, String(err))
        return { param: err.param, code: err.code, message: err.message }
      }
      throw new Error('expected a 400')
    }
    const chained = await param({ previous_response_id: 'resp_abc' })
    assert.equal(chained.param, 'previous_response_id')
    assert.equal(chained.code, 'unsupported_parameter')
    assert.match(chained.message, /stateless/)
    assert.equal((await param({ conversation: 'conv_1' })).param, 'conversation')
    assert.equal((await param({ background: true })).param, 'background')
    const builtIn = await param({ tools: [weather, { type: 'web_search' }] })
    assert.equal(builtIn.param, 'tools[1].type')
    assert.match(builtIn.message, /web_search/)
    assert.equal((await param({ input: 42 })).param, 'input')
    assert.equal((await param({ input: [{ type: 'message', role: 'robot', content: 'x' }] })).param, 'input[0].role')
    assert.equal((await param({ input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'f' }] }] })).param, 'input[0].content[0].type')
    assert.equal((await param({ input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://example.com/cat.png', detail: 'auto' }] }] })).param, 'input[0].content[0].image_url')
    assert.equal((await param({ input: [{ type: 'function_call_output', output: 'x' }] })).param, 'input[0].call_id')
    assert.equal((await param({ tools: [{ ...weather, parameters: { type: 'string' } }] })).param, 'tools[0].parameters')
    assert.equal((await param({ text: { format: { type: 'json_schema', name: 'bad name!', schema: { type: 'object' } } } })).param, 'text.format.name')
    assert.equal((await param({ max_output_tokens: 0 })).param, 'max_output_tokens')
    // A model no node serves with what the request asks: unsupported_feature, naming the Responses field.
    const image = 'data:image/png;base64,iVBORw0KGgo='
    const noVision = await param({ input: [{ role: 'user', content: [{ type: 'input_image', image_url: image, detail: 'auto' }] }] })
    assert.deepEqual([noVision.param, noVision.code], ['input', 'unsupported_feature'])
    assert.equal((await param({ model: 'dying-model', tools: [weather] })).param, 'tools')
    // Nothing is stored, so nothing can be read back.
    await assert.rejects(openai().responses.retrieve('resp_abc'), (err: unknown) => err instanceof NotFoundError && /stateless/.test(err.message))
  })

  it('an unknown model is a 404, as on the chat endpoint', async () => {
    await assert.rejects(openai().responses.create({ model: 'no-such-model', input: 'x' }), (err: unknown) => err instanceof NotFoundError && err.code === 'model_not_found')
  })

  it('a node failing mid-stream ends the stream with response.failed, not a hang', async () => {
    const events: ResponseStreamEvent[] = []
    for await (const e of await openai().responses.create({ model: 'dying-model', input: 'Count.', stream: true })) events.push(e)
    assert.ok(events.some((e) => e.type === 'response.output_text.delta'), 'some text came before the failure')
    const last = events.at(-1)
    assert.ok(last?.type === 'response.failed', last?.type)
    assert.equal(last.response.status, 'failed')
    assert.equal(last.response.error?.code, 'server_error')
    assert.ok((last.response.error?.message ?? '').length > 0)
    assert.ok(!events.some((e) => e.type === 'response.completed'))
  })
})
