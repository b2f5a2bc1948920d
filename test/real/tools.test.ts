// Tool calls, logprobs and structured output on the real engine (issue 17), through relay, node, SDK and gateway:
// llama-server on tiny-tools (tinyModel.ts), whose template renders tools, so the server's own tool-call grammar and
// parser run. The weights are random: only the grammar makes a call's arguments valid, so the tools' schemas are
// bounded (an enum, one digit) and the model, which ends wherever it may, makes exactly one call under
// tool_choice "required" and answers empty text otherwise (tinyModel.ts says why). Clients: the `openai` package
// (create, its stream helper, chat.completions.parse with zodResponseFormat), the SDK, the Vercel AI SDK and LangChain
// JS, all unmodified. Logprobs are checked on tiny-a, which writes text. Skipped when the engine is not built.
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import { ChatOpenAI } from '@langchain/openai'
import { generateObject, generateText, stepCountIs, tool } from 'ai'
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import OpenAI from 'openai'
import { zodResponseFormat } from 'openai/helpers/zod'
import { z } from 'zod'
import type { InfernetClient } from '../../client/client.ts'
import { createTestClient, waitForLive } from '../helpers/client.ts'
import { startCoordinator, type TestCoordinator } from '../helpers/coordinator.ts'
import { engine, engineMissingHint, startLlamaServer, type LlamaServer } from '../helpers/engine/llamaServer.ts'
import { tinyModels } from '../helpers/engine/tinyModel.ts'
import { waitFor } from '../helpers/network.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const skip = engine() ? false : engineMissingHint
const pick = z.object({ color: z.enum(['red', 'green', 'blue']), n: z.number().int().min(0).max(9) }).strict()
const pickTool: OpenAI.ChatCompletionFunctionTool = {
  type: 'function',
  function: { name: 'pick_color', description: 'Pick a color and a count', parameters: z.toJSONSchema(pick) },
}
const otherTool: OpenAI.ChatCompletionFunctionTool = {
  type: 'function',
  function: { name: 'roll_die', description: 'Roll a die', parameters: { type: 'object', properties: { sides: { type: 'integer', enum: [6, 20] } }, required: ['sides'], additionalProperties: false } },
}
// A call is about 30 tokens (its frame is three tokens, the arguments a byte each): room to finish, bounded for a 1-thread engine.
const maxTokens = 96
const question: { role: 'user'; content: string }[] = [{ role: 'user', content: 'Pick a color.' }]

/** The call's arguments parse as JSON and fit the tool's schema. */
function assertPick(args: string): void {
  const parsed = pick.safeParse(JSON.parse(args))
  assert.ok(parsed.success, `the arguments fit the schema: ${args}`)
}

describe('real engine: tool calls, logprobs and structured output through the gateway', { skip }, () => {
  let relay: TestRelay
  const engines: LlamaServer[] = []
  const nodes: TestNode[] = []
  let coord: TestCoordinator
  let client: InfernetClient
  const openai = () => new OpenAI({ apiKey: 'unused', baseURL: `${coord.url}/v1`, maxRetries: 0 })

  before(async () => {
    relay = await startRelay()
    engines.push(...(await Promise.all([startLlamaServer({ model: tinyModels.tools }), startLlamaServer({ model: tinyModels.a, alias: 'tiny-a' })])))
    nodes.push(...(await Promise.all(engines.map((e) => startNode({ relays: [relay.url], backend: { kind: 'llamacpp', baseUrl: e.url } })))))
    coord = await startCoordinator({ relays: [relay.url] })
    client = createTestClient({ relays: [relay.url] })
    const now = () => Math.floor(Date.now() / 1000)
    await waitFor(() => coord.coordinator.market.hasModel('tiny-tools', now()) && coord.coordinator.market.hasModel('tiny-a', now()), 'both nodes in the market')
    await waitForLive(client, [nodes[0]!.pubkey], { model: 'tiny-tools' })
  })
  after(async () => {
    await client?.close()
    await coord?.close()
    await Promise.all(nodes.map((n) => n.stop()))
    await Promise.all(engines.map((e) => e.stop()))
    await relay?.close()
  })

  // The gateway routes a tools request only to a node that announced tools for the model (a 400 otherwise), so this
  // also shows the node read them from the template's caps in /props.
  it('tool_choice "required": one call whose arguments fit the schema, finish_reason tool_calls', async () => {
    const res = await openai().chat.completions.create({ model: 'tiny-tools', messages: question, tools: [pickTool], tool_choice: 'required', max_tokens: maxTokens, temperature: 0 })
    const choice = res.choices[0]!
    assert.equal(choice.finish_reason, 'tool_calls')
    assert.equal(choice.message.tool_calls?.length, 1)
    const call = choice.message.tool_calls[0]!
    assert.ok(call.type === 'function' && call.id.length > 0)
    assert.equal(call.function.name, 'pick_color')
    assertPick(call.function.arguments)
    assert.ok(res.usage!.completion_tokens > 0 && res.usage!.completion_tokens < maxTokens)
  })

  it('a named tool_choice calls that tool, though llama-server would ignore the name (the node sends it alone, required)', async () => {
    const res = await openai().chat.completions.create({ model: 'tiny-tools', messages: question, tools: [otherTool, pickTool], tool_choice: { type: 'function', function: { name: 'pick_color' } }, max_tokens: maxTokens })
    const call = res.choices[0]!.message.tool_calls?.[0]
    assert.ok(call?.type === 'function')
    assert.equal(call.function.name, 'pick_color')
    assertPick(call.function.arguments)
  })

  it('streamed: the openai stream helper and the SDK each assemble the call', async () => {
    const stream = openai().chat.completions.stream({ model: 'tiny-tools', messages: question, tools: [pickTool], tool_choice: 'required', max_tokens: maxTokens, stream_options: { include_usage: true } })
    let fragments = 0
    stream.on('chunk', (chunk) => (fragments += chunk.choices[0]?.delta.tool_calls?.length ?? 0))
    const done = await stream.finalChatCompletion()
    const call = done.choices[0]!.message.tool_calls?.[0]
    assert.ok(call?.type === 'function')
    assert.equal(call.function.name, 'pick_color')
    assertPick(call.function.arguments)
    assert.equal(done.choices[0]!.finish_reason, 'tool_calls')
    assert.ok(fragments > 1, `the call came in fragments (${fragments})`)

    const sdk = client.chat({ model: 'tiny-tools', messages: question, params: { tools: [pickTool], tool_choice: 'required', max_tokens: maxTokens } })
    let pieces = ''
    for await (const delta of sdk) for (const f of delta.toolCalls ?? []) pieces += f.arguments ?? ''
    const result = await sdk.result
    assert.equal(result.finishReason, 'tool_calls')
    assert.equal(result.toolCalls.length, 1)
    assert.equal(result.toolCalls[0]!.function.name, 'pick_color')
    assertPick(result.toolCalls[0]!.function.arguments)
    assert.equal(pieces, result.toolCalls[0]!.function.arguments, 'the streamed fragments make the final arguments')
  })

  it('a two-turn conversation round-trips: call, tool result, answer', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [...question]
    const first = await openai().chat.completions.create({ model: 'tiny-tools', messages, tools: [pickTool], tool_choice: 'required', max_tokens: maxTokens })
    const call = first.choices[0]!.message.tool_calls![0]!
    const result = JSON.stringify({ ok: true, picked: 'noted' })
    messages.push(first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: result })
    const second = await openai().chat.completions.create({ model: 'tiny-tools', messages, tools: [pickTool], max_tokens: maxTokens })
    assert.equal(second.choices[0]!.finish_reason, 'stop')
    assert.equal(second.choices[0]!.message.tool_calls, undefined)
    assert.equal(typeof second.choices[0]!.message.content, 'string')
    // The engine got the history: the rendered call and the tool's result make the second prompt longer by at least
    // the result's bytes (every byte is a token or part of a word) plus the call's tokens.
    assert.ok(second.usage!.prompt_tokens >= first.usage!.prompt_tokens + first.usage!.completion_tokens, `${second.usage!.prompt_tokens} vs ${first.usage!.prompt_tokens} + ${first.usage!.completion_tokens}`)
  })

  it('logprobs arrive with the tokens the text is made of, streaming and not', async () => {
    const request = { model: 'tiny-a', messages: [{ role: 'user' as const, content: 'Say something.' }], max_tokens: 12, temperature: 0, logprobs: true, top_logprobs: 2 }
    const whole = await openai().chat.completions.create(request)
    const content = whole.choices[0]!.logprobs?.content ?? []
    assert.ok(content.length > 0)
    assert.equal(content.map((t) => t.token).join(''), whole.choices[0]!.message.content)
    for (const t of content) {
      assert.equal(t.top_logprobs.length, 2)
      assert.ok(t.logprob <= 0 && t.top_logprobs[0]!.logprob >= t.top_logprobs[1]!.logprob)
    }
    let text = ''
    let tokens = ''
    for await (const chunk of await openai().chat.completions.create({ ...request, stream: true })) {
      text += chunk.choices[0]?.delta.content ?? ''
      for (const t of chunk.choices[0]?.logprobs?.content ?? []) tokens += t.token
    }
    assert.ok(text.length > 0)
    assert.equal(tokens, text)
  })

  it('openai chat.completions.parse with zodResponseFormat returns the parsed object', async () => {
    const res = await openai().chat.completions.parse({ model: 'tiny-tools', messages: question, response_format: zodResponseFormat(pick, 'pick'), max_tokens: maxTokens })
    const parsed = res.choices[0]!.message.parsed
    assert.ok(pick.safeParse(parsed).success, JSON.stringify(parsed))
  })

  const provider = () => createOpenAICompatible({ name: 'infernet', baseURL: `${coord.url}/v1`, apiKey: 'unused', supportsStructuredOutputs: true })

  it('Vercel AI SDK: generateText runs the tool the engine called, then a second step answers', async () => {
    const seen: unknown[] = []
    const result = await generateText({
      model: provider().chatModel('tiny-tools'),
      tools: { pick_color: tool({ description: 'Pick a color and a count', inputSchema: pick, execute: async (input) => (seen.push(input), { ok: true }) }) },
      // A tiny model calls only when made to: step one requires the call, step two answers.
      prepareStep: ({ stepNumber }) => ({ toolChoice: stepNumber === 0 ? 'required' : 'none' }),
      stopWhen: stepCountIs(2),
      prompt: 'Pick a color.',
      maxOutputTokens: maxTokens,
      maxRetries: 0,
    })
    assert.equal(result.steps.length, 2)
    assert.equal(result.steps[0]!.finishReason, 'tool-calls')
    assert.equal(seen.length, 1)
    assert.ok(pick.safeParse(seen[0]).success, JSON.stringify(seen[0]))
    assert.equal(result.steps[1]!.finishReason, 'stop')
  })

  it('Vercel AI SDK: generateObject fits the zod schema', async () => {
    const { object } = await generateObject({ model: provider().chatModel('tiny-tools'), schema: pick, prompt: 'Pick a color.', maxOutputTokens: maxTokens, maxRetries: 0 })
    assert.ok(pick.safeParse(object).success, JSON.stringify(object))
  })

  const langchain = () => new ChatOpenAI({ model: 'tiny-tools', apiKey: 'unused', configuration: { baseURL: `${coord.url}/v1` }, maxTokens, maxRetries: 0 })

  it('LangChain: bindTools(required).invoke() returns the call; withStructuredOutput(zod) returns the object', async () => {
    const message = await langchain().bindTools([pickTool], { tool_choice: 'required' }).invoke('Pick a color.')
    assert.equal(message.tool_calls?.length, 1)
    assert.equal(message.tool_calls[0]!.name, 'pick_color')
    assert.ok(pick.safeParse(message.tool_calls[0]!.args).success, JSON.stringify(message.tool_calls[0]!.args))
    const value = await langchain().withStructuredOutput(pick, { name: 'pick', method: 'jsonSchema' }).invoke('Pick a color.')
    assert.ok(pick.safeParse(value).success, JSON.stringify(value))
  })
})
