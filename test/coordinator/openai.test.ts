import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CoordinatorHttpError } from '../../src/coordinator/errors.ts'
import { fromChatCompletionRequest, fromCompletionRequest, toChatCompletionChunk, toOpenAIError } from '../../src/coordinator/gateway/openai.ts'

describe('gateway/openai translation', () => {
  it('reads a chat request: developer -> system, text parts joined, unknown fields passed through in params', () => {
    const req = fromChatCompletionRequest({
      model: 'llama3',
      messages: [{ role: 'developer', content: 'be brief' }, { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }],
      max_completion_tokens: 9,
      stop: 'END',
      stream: true,
      stream_options: { include_usage: true },
      top_k: 7,
      user: 'ignored',
    })
    assert.deepEqual(req.messages, [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'ab' }])
    assert.equal(req.params.max_tokens, 9)
    assert.deepEqual(req.params.stop, ['END'])
    assert.equal(req.stream, true)
    assert.equal(req.includeUsage, true)
    assert.deepEqual(req.params, { max_tokens: 9, stop: ['END'], top_k: 7 })
    assert.deepEqual(fromCompletionRequest({ model: 'm', prompt: ['hi'] }).messages, [{ role: 'user', content: 'hi' }])
  })

  it('rejects bad input with the offending param', () => {
    const param = (fn: () => unknown) => {
      try {
        fn()
      } catch (err) {
        assert.ok(err instanceof CoordinatorHttpError)
        assert.equal(err.status, 400)
        return err.param
      }
      assert.fail('no error')
    }
    assert.equal(param(() => fromChatCompletionRequest({ messages: [{ role: 'user', content: 'x' }] })), 'model')
    assert.equal(param(() => fromChatCompletionRequest({ model: 'm', messages: 'x' })), 'messages')
    assert.equal(param(() => fromChatCompletionRequest({ model: 'm', messages: [{ role: 'robot', content: 'x' }] })), 'messages[0].role')
    assert.equal(param(() => fromChatCompletionRequest({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url' }] }] })), 'messages[0].content')
    assert.equal(param(() => fromChatCompletionRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }], n: 9 })), 'n')
    assert.equal(param(() => fromChatCompletionRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 1.5 })), 'max_tokens')
    assert.equal(param(() => fromCompletionRequest({ model: 'm', prompt: 3 })), 'prompt')
  })

  it('writes chunks and errors in OpenAI shape', () => {
    const first = toChatCompletionChunk({ id: 'c1', created: 1, model: 'm', delta: 'hi', role: true })
    assert.deepEqual(first.choices[0], { index: 0, delta: { role: 'assistant', content: 'hi' }, logprobs: null, finish_reason: null })
    const last = toChatCompletionChunk({ id: 'c1', created: 1, model: 'm', finish: 'length' })
    assert.equal(last.choices[0]!.finish_reason, 'length')
    const usage = toChatCompletionChunk({ id: 'c1', created: 1, model: 'm', usage: { promptTokens: 2, completionTokens: 3 } })
    assert.deepEqual(usage.usage, { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 })
    assert.deepEqual(toOpenAIError(new Error('boom: secret detail'), 'req-9'), {
      status: 500,
      body: { error: { message: 'The server had an error while processing your request (request id req-9).', type: 'server_error', param: null, code: 'internal_error' } },
      retryAfterSeconds: undefined,
    })
  })
})
