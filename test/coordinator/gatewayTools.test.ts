// Tool calling and structured output through the whole network (issue 17): the official `openai` package against
// a real coordinator's gateway, a real relay and real node daemons whose fake engines speak vLLM's OpenAI format
// (streamed delta.tool_calls fragments) and Ollama's /api/chat (whole tool calls). Job payload v2 end to end:
// the call comes back as message.tool_calls / finish_reason tool_calls, streams as OpenAI's fragments that the
// package's stream helper assembles, a two-turn tool conversation round-trips, and bad input is a 400 naming the
// parameter. A plain text chat still travels as payload v1.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import OpenAI, { BadRequestError } from 'openai'
import { startCoordinator, type TestCoordinator } from '../helpers/coordinator.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import { startFakeOpenAI } from '../helpers/fakeBackends/openai.ts'
import type { FakeBackendServer } from '../helpers/fakeBackends/pacer.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

const weather: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city', 'days'] },
  },
}

describe('gateway: tools and structured output', () => {
  let relay: TestRelay
  let vllm: FakeBackendServer
  let ollama: FakeBackendServer
  const nodes: TestNode[] = []
  let coord: TestCoordinator
  const openai = () => new OpenAI({ apiKey: 'sk-test-tools-00', baseURL: `${coord.url}/v1`, maxRetries: 0 })

  before(async () => {
    relay = await startRelay()
    vllm = await startFakeOpenAI({ flavor: 'vllm', models: ['tool-model'], reply: 'It is sunny in Paris.' })
    ollama = await startFakeOllama({
      models: ['llama3'],
      reply: 'Sunny, 21 degrees.',
      capabilities: { llama3: ['completion', 'tools'] },
      toolCalls: (body) => ((body.messages as { role: string }[]).at(-1)?.role === 'tool' ? undefined : [{ name: 'get_weather', arguments: { city: 'Tokyo', days: 2 } }]),
    })
    // vLLM cannot tell the node it has a tool-call parser: the operator says so (INFERNET_FEATURES).
    nodes.push(await startNode({ relays: [relay.url], backend: { kind: 'vllm', baseUrl: vllm.url }, config: { features: ['tools'] } }))
    nodes.push(await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: ollama.url } }))
    coord = await startCoordinator({ relays: [relay.url], apiKeys: ['sk-test-tools-00'] })
    const now = () => Math.floor(Date.now() / 1000)
    await waitFor(() => coord.coordinator.market.hasModel('tool-model', now()) && coord.coordinator.market.hasModel('llama3', now()), 'both nodes in the market')
  })
  after(async () => {
    await coord?.close()
    for (const n of nodes) await n.stop()
    await vllm?.close()
    await ollama?.close()
    await relay?.close()
  })

  for (const model of ['tool-model', 'llama3']) {
    it(`${model}: a non-streaming tool call comes back as message.tool_calls with finish_reason tool_calls`, async () => {
      const res = await openai().chat.completions.create({ model, messages: [{ role: 'user', content: 'Weather?' }], tools: [weather], tool_choice: 'auto' })
      const choice = res.choices[0]!
      assert.equal(choice.finish_reason, 'tool_calls')
      assert.equal(choice.message.content, null)
      const call = choice.message.tool_calls?.[0]
      assert.ok(call && call.type === 'function')
      assert.equal(call.function.name, 'get_weather')
      const args = JSON.parse(call.function.arguments) as { city: unknown; days: unknown }
      assert.equal(typeof args.city, 'string')
      assert.ok(Number.isInteger(args.days))
      assert.ok(call.id.length > 0)
      assert.ok(res.usage!.completion_tokens > 0)
    })

    it(`${model}: a streamed tool call is assembled by the openai stream helper`, async () => {
      const stream = openai().chat.completions.stream({ model, messages: [{ role: 'user', content: 'Weather?' }], tools: [weather], stream_options: { include_usage: true } })
      const fragments: unknown[] = []
      stream.on('chunk', (chunk) => {
        for (const c of chunk.choices) if (c.delta.tool_calls) fragments.push(...c.delta.tool_calls)
      })
      const done = await stream.finalChatCompletion()
      const call = done.choices[0]!.message.tool_calls?.[0]
      assert.ok(call && call.type === 'function')
      assert.equal(call.function.name, 'get_weather')
      assert.deepEqual(Object.keys(JSON.parse(call.function.arguments) as object).sort(), ['city', 'days'])
      assert.equal(done.choices[0]!.finish_reason, 'tool_calls')
      // The first fragment names the call (index, id, type, name); the ones after carry argument pieces.
      const first = fragments[0] as { index: number; id?: string; type?: string; function: { name?: string } }
      assert.equal(first.index, 0)
      assert.ok(first.id && first.type === 'function' && first.function.name === 'get_weather')
    })

    it(`${model}: a two-turn tool conversation round-trips (call, tool result, answer)`, async () => {
      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in the city?' }]
      const first = await openai().chat.completions.create({ model, messages, tools: [weather] })
      const call = first.choices[0]!.message.tool_calls![0]!
      assert.ok(call.type === 'function')
      messages.push(first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: JSON.stringify({ sky: 'sunny', celsius: 21 }) })
      const second = await openai().chat.completions.create({ model, messages, tools: [weather] })
      assert.equal(second.choices[0]!.finish_reason, 'stop')
      assert.match(second.choices[0]!.message.content ?? '', /[Ss]unny/)
    })
  }

  it('the engine got the tools and the history in its own format', () => {
    const v = vllm.stats.lastChatBody as { tools?: unknown[]; messages: { role: string; tool_call_id?: string; tool_calls?: unknown[] }[] }
    assert.equal(v.tools?.length, 1)
    assert.ok(v.messages.some((m) => m.role === 'tool' && m.tool_call_id))
    assert.ok(v.messages.some((m) => m.role === 'assistant' && m.tool_calls?.length))
    const o = ollama.stats.lastChatBody as { messages: { role: string; tool_name?: string; tool_calls?: { function: { arguments: unknown } }[] }[] }
    assert.ok(o.messages.some((m) => m.role === 'tool' && m.tool_name === 'get_weather'))
    // Ollama takes history arguments as an object, not OpenAI's string.
    assert.equal(typeof o.messages.find((m) => m.tool_calls)?.tool_calls?.[0]?.function.arguments, 'object')
  })

  it('response_format json_schema: the content validates against the schema', async () => {
    const schema = { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name', 'age'] }
    for (const model of ['tool-model', 'llama3']) {
      const res = await openai().chat.completions.create({ model, messages: [{ role: 'user', content: 'A person' }], response_format: { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } } })
      const value = JSON.parse(res.choices[0]!.message.content!) as { name: unknown; age: unknown }
      assert.equal(typeof value.name, 'string', model)
      assert.ok(Number.isInteger(value.age), model)
    }
    assert.deepEqual((ollama.stats.lastChatBody as { format?: unknown }).format, schema)
  })

  it('bad input is a 400 naming the parameter', async () => {
    const param = async (body: Record<string, unknown>) => {
      try {
        await openai().chat.completions.create({ model: 'tool-model', messages: [{ role: 'user', content: 'x' }], ...body } as never)
      } catch (err) {
        assert.ok(err instanceof BadRequestError, String(err))
        return err.param
      }
      throw new Error('expected a 400')
    }
    assert.equal(await param({ tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'string' } } }] }), 'tools[0].function.parameters')
    const many = Array.from({ length: 129 }, (_, i) => ({ type: 'function', function: { name: `f${i}`, parameters: { type: 'object' } } }))
    assert.equal(await param({ tools: many }), 'tools')
    const huge = `data:image/png;base64,${'A'.repeat(200_000)}`
    assert.equal(await param({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: huge } }] }] }), 'messages[0].content[0].image_url.url')
    assert.equal(await param({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }] }), 'messages[0].content[0].image_url.url')
    assert.equal(await param({ messages: [{ role: 'tool', content: 'x' }] }), 'messages[0].tool_call_id')
    assert.equal(await param({ tool_choice: 'sometimes' }), 'tool_choice')
  })

  it('a plain text chat still travels as payload v1 and answers text', async () => {
    const res = await openai().chat.completions.create({ model: 'tool-model', messages: [{ role: 'user', content: 'hello' }] })
    assert.equal(res.choices[0]!.message.content, 'It is sunny in Paris.')
    assert.equal(res.choices[0]!.finish_reason, 'stop')
  })
})
