// Unmodified third-party clients against the gateway's chat-completions path (issue 17): the Vercel AI SDK through
// @ai-sdk/openai-compatible (generateText with a tool and its multi-step loop, generateObject with a zod schema) and
// LangChain JS's ChatOpenAI (bindTools().invoke() returning tool_calls, withStructuredOutput(zod)). A real relay,
// coordinator and node daemon; the engine is the fake vLLM server (OpenAI's wire format, tool calls streamed as
// fragments, JSON generated from the request's schema: toolReply.ts). What each client sent is checked at the engine,
// so a client that silently dropped the tools or the schema would fail here.
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import { ChatOpenAI } from '@langchain/openai'
import { generateObject, generateText, stepCountIs, tool } from 'ai'
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { z } from 'zod'
import { startCoordinator, type TestCoordinator } from '../helpers/coordinator.ts'
import { startFakeOpenAI } from '../helpers/fakeBackends/openai.ts'
import type { FakeBackendServer } from '../helpers/fakeBackends/pacer.ts'
import { waitFor } from '../helpers/network.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const apiKey = 'sk-test-third-party-00'
const model = 'tool-model'
const weatherInput = z.object({ city: z.string(), days: z.number().int() })
const person = z.object({ name: z.string(), age: z.number().int() })

type EngineBody = { tools?: { function: { name: string; parameters: unknown } }[]; tool_choice?: unknown; response_format?: { type?: string; json_schema?: { schema?: unknown } }; messages: { role: string; tool_call_id?: string; tool_calls?: unknown[] }[] }

describe('third-party clients against the gateway', () => {
  let relay: TestRelay
  let vllm: FakeBackendServer
  let node: TestNode
  let coord: TestCoordinator
  const engineBody = () => vllm.stats.lastChatBody as EngineBody

  before(async () => {
    relay = await startRelay()
    vllm = await startFakeOpenAI({ flavor: 'vllm', models: [model], reply: 'It is sunny in Paris.' })
    // vLLM cannot tell the node it has a tool-call parser: the operator says so (INFERNET_FEATURES).
    node = await startNode({ relays: [relay.url], backend: { kind: 'vllm', baseUrl: vllm.url }, config: { features: ['tools'] } })
    coord = await startCoordinator({ relays: [relay.url], apiKeys: [apiKey] })
    await waitFor(() => coord.coordinator.market.hasModel(model, Math.floor(Date.now() / 1000)), 'the node in the market')
  })
  after(async () => {
    await coord?.close()
    await node?.stop()
    await vllm?.close()
    await relay?.close()
  })

  const provider = () => createOpenAICompatible({ name: 'infernet', baseURL: `${coord.url}/v1`, apiKey, supportsStructuredOutputs: true })

  it('Vercel AI SDK: generateText calls the tool, runs it, and the second step answers from its result', async () => {
    const seen: z.infer<typeof weatherInput>[] = []
    const result = await generateText({
      model: provider().chatModel(model),
      tools: {
        get_weather: tool({
          description: 'The weather in a city',
          inputSchema: weatherInput,
          execute: async (input) => {
            seen.push(input)
            return { sky: 'sunny', celsius: 21 }
          },
        }),
      },
      stopWhen: stepCountIs(2),
      prompt: 'Weather in the city?',
      maxRetries: 0,
    })
    assert.equal(result.steps.length, 2)
    assert.equal(result.steps[0]!.finishReason, 'tool-calls')
    assert.equal(seen.length, 1, 'the SDK ran the tool once, with arguments that passed its zod schema')
    assert.ok(weatherInput.safeParse(seen[0]).success)
    assert.equal(result.finishReason, 'stop')
    assert.match(result.text, /sunny/)
    // The second request carried the call and its result back to the engine, in OpenAI's format.
    const body = engineBody()
    assert.equal(body.tools?.[0]?.function.name, 'get_weather')
    assert.ok(body.messages.some((m) => m.role === 'assistant' && m.tool_calls?.length))
    assert.ok(body.messages.some((m) => m.role === 'tool' && m.tool_call_id))
  })

  it('Vercel AI SDK: generateObject returns an object that fits the zod schema', async () => {
    const { object } = await generateObject({ model: provider().chatModel(model), schema: person, prompt: 'A person', maxRetries: 0 })
    assert.ok(person.safeParse(object).success, JSON.stringify(object))
    const format = engineBody().response_format
    assert.equal(format?.type, 'json_schema')
    assert.deepEqual(Object.keys((format?.json_schema?.schema as { properties: object }).properties).sort(), ['age', 'name'])
  })

  const langchain = () => new ChatOpenAI({ model, apiKey, configuration: { baseURL: `${coord.url}/v1` }, maxRetries: 0 })

  it('LangChain: bindTools().invoke() returns tool_calls with parsed arguments', async () => {
    const message = await langchain()
      .bindTools([{ type: 'function', function: { name: 'get_weather', description: 'The weather in a city', parameters: z.toJSONSchema(weatherInput) } }])
      .invoke('Weather in the city?')
    const call = message.tool_calls?.[0]
    assert.equal(call?.name, 'get_weather')
    assert.ok(weatherInput.safeParse(call?.args).success, JSON.stringify(call?.args))
    assert.ok(call?.id)
    assert.equal(engineBody().tools?.[0]?.function.name, 'get_weather')
  })

  it('LangChain: withStructuredOutput(zod) returns an object that fits the schema', async () => {
    const value = await langchain().withStructuredOutput(person, { name: 'person' }).invoke('A person')
    assert.ok(person.safeParse(value).success, JSON.stringify(value))
    // Whichever way LangChain asks (a json_schema format or a forced function), the engine got the schema.
    const body = engineBody()
    assert.ok(body.response_format?.type === 'json_schema' || body.tools?.[0]?.function.name === 'person', JSON.stringify(body.response_format ?? body.tool_choice))
  })
})
