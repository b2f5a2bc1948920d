// The Responses rendering (src/coordinator/gateway/responsesOutput.ts) checked against the official `openai` package's
// own stream assembler: events from a job that reasoned, wrote text and called two tools, fed to ResponseStream, give
// a final response whose items are the ones the events described, with nothing the package calls out of order. The
// fakes stream no reasoning, so the reasoning item is covered here rather than through a node.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ResponseStream } from 'openai/lib/responses/ResponseStream'
import type { ChatDelta } from '../../client/chatStream.ts'
import type { GatewayResult } from '../../src/coordinator/gateway/openai.ts'
import { createResponseEvents, toResponseBody, type ResponseEvent, type ResponseShell } from '../../src/coordinator/gateway/responsesOutput.ts'
import { fromResponsesRequest } from '../../src/coordinator/gateway/responsesRequest.ts'

const shell = (): ResponseShell => {
  const req = fromResponsesRequest({ model: 'm', input: 'x', tools: [{ type: 'function', name: 'f', parameters: { type: 'object' } }] })
  return { id: 'resp_test1', created: 1_700_000_000, model: 'm', echo: req.echo }
}

/** The events as the package reads a stream it did not fetch itself: one JSON event a line. */
async function assemble(events: ResponseEvent[]) {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const e of events) controller.enqueue(new TextEncoder().encode(`${JSON.stringify(e)}\n`))
      controller.close()
    },
  })
  return ResponseStream.fromReadableStream(body).finalResponse()
}

const delta = (d: Omit<ChatDelta, 'type' | 'text'> & { text?: string }): ChatDelta => ({ type: 'delta', text: d.text ?? '', ...d })

test('reasoning, text and two calls: the package assembles the items the events describe', async () => {
  const result: GatewayResult = {
    text: 'Checking.',
    reasoning: 'The user wants weather.',
    toolCalls: [
      { id: 'call_a', type: 'function', function: { name: 'f', arguments: '{"city":"Paris"}' } },
      { id: 'call_b', type: 'function', function: { name: 'f', arguments: '{}' } },
    ],
    usage: { promptTokens: 7, completionTokens: 11 },
    model: 'm',
    finishReason: 'tool_calls',
    node: 'ab'.repeat(32),
    cost: 0n,
  }
  const s = shell()
  const writer = createResponseEvents(s)
  const events = [
    ...writer.start(),
    ...writer.delta(delta({ reasoning: 'The user ' })),
    ...writer.delta(delta({ reasoning: 'wants weather.' })),
    ...writer.delta(delta({ text: 'Check' })),
    ...writer.delta(delta({ text: 'ing.', toolCalls: [{ index: 0, id: 'call_a', name: 'f', arguments: '{"city":' }] })),
    ...writer.delta(delta({ toolCalls: [{ index: 0, arguments: '"Paris"}' }, { index: 1, id: 'call_b', name: 'f', arguments: '{}' }] })),
    ...writer.finish(result),
  ]
  assert.deepEqual(events.map((e) => e.sequence_number), events.map((_, i) => i))
  const final = await assemble(events)
  assert.equal(final.status, 'completed')
  assert.equal(final.output_text, 'Checking.')
  assert.deepEqual(final.output.map((o) => o.type), ['reasoning', 'message', 'function_call', 'function_call'])
  const reasoning = final.output[0]
  assert.ok(reasoning?.type === 'reasoning')
  assert.deepEqual(reasoning.content, [{ type: 'reasoning_text', text: 'The user wants weather.' }])
  const calls = final.output.flatMap((o) => (o.type === 'function_call' ? [{ call_id: o.call_id, arguments: o.arguments }] : []))
  assert.deepEqual(calls, [{ call_id: 'call_a', arguments: '{"city":"Paris"}' }, { call_id: 'call_b', arguments: '{}' }])
  assert.deepEqual(final.usage, { input_tokens: 7, input_tokens_details: { cached_tokens: 0 }, output_tokens: 11, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 18 })
  // The streamed items are the ones the non-streaming answer gives for the same result.
  const completed = events.at(-1) as ResponseEvent & { response: { output: unknown } }
  assert.equal(completed.type, 'response.completed')
  assert.deepEqual(completed.response.output, toResponseBody(s, result).output)
})

test('a job that fails mid-item: response.failed carries the item as far as it got, marked incomplete', async () => {
  const writer = createResponseEvents(shell())
  const events = [...writer.start(), ...writer.delta(delta({ text: 'Half' })), ...writer.fail({ code: 'server_error', message: 'stream_interrupted: the node went away' })]
  assert.equal(events.at(-1)?.type, 'response.failed')
  const final = await assemble(events)
  assert.equal(final.status, 'failed')
  assert.equal(final.error?.message, 'stream_interrupted: the node went away')
  const message = final.output[0]
  assert.ok(message?.type === 'message')
  assert.equal(message.status, 'incomplete')
  assert.equal(final.output_text, 'Half')
})
