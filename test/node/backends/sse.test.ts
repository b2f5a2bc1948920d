import assert from 'node:assert/strict'
import { test } from 'node:test'
import { errorMessageFromBody } from '../../../node/backends/httpRequest.ts'
import { createSseParser } from '../../../node/backends/sse.ts'
import { toOpenAIChatBody } from '../../../node/backends/openaiCompatible.ts'
import { BackendError, matchBackendReason, parseRetryAfter } from '../../../node/errors/backend.ts'

test('SSE parser: data lines, multi-line data, comments, event names, llama.cpp error lines', () => {
  const p = createSseParser()
  const lines = [': ping', '', 'data: {"a":1}', '', 'data: line1', 'data:line2', '', 'event: custom', 'data: x', '', 'error: {"code":500}', '', 'data: [DONE]']
  const events = lines.map((l) => p.push(l)).filter(Boolean)
  assert.deepEqual(events, [
    { event: 'message', data: '{"a":1}' },
    { event: 'message', data: 'line1\nline2' },
    { event: 'custom', data: 'x' },
    { event: 'error', data: '{"code":500}' },
  ])
  assert.deepEqual(p.end(), { event: 'message', data: '[DONE]' })
  assert.equal(p.end(), undefined)
})

test('error bodies of every server give their message', () => {
  assert.equal(errorMessageFromBody('{"error":"model \\"x\\" not found, try pulling it first"}'), 'model "x" not found, try pulling it first')
  assert.equal(errorMessageFromBody('{"object":"error","message":"The model `x` does not exist.","code":404}'), 'The model `x` does not exist.')
  assert.equal(errorMessageFromBody('{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}'), 'Loading model')
  assert.equal(errorMessageFromBody('{"detail":"Not Found"}'), 'Not Found')
  assert.equal(errorMessageFromBody('plain text'), 'plain text')
})

test('static matchers classify upstream failures', () => {
  assert.equal(matchBackendReason({ status: 404, message: 'model "x" not found, try pulling it first' }), 'model-not-found')
  assert.equal(matchBackendReason({ status: 404, message: 'The model `x` does not exist.' }), 'model-not-found')
  assert.equal(matchBackendReason({ status: 503, message: 'Loading model' }), 'loading')
  assert.equal(matchBackendReason({ status: 503, message: '' }), 'loading')
  assert.equal(matchBackendReason({ status: 503, message: 'server busy, please try again.  maximum pending requests exceeded' }), 'unavailable')
  assert.equal(matchBackendReason({ status: 400, message: 'max_tokens must be at least 1' }), 'bad-request')
  // A prompt over the context, in llama-server's and vLLM's words; the same words on a 5xx stay unavailable.
  assert.equal(matchBackendReason({ status: 400, message: 'request (3017 tokens) exceeds the available context size (1024 tokens), try increasing it' }), 'context-length')
  assert.equal(matchBackendReason({ status: 400, message: "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens" }), 'context-length')
  assert.equal(matchBackendReason({ status: 500, message: 'exceeds the available context size' }), 'unavailable')
  assert.equal(matchBackendReason({ status: 500, message: 'boom' }), 'unavailable')
  assert.equal(matchBackendReason({ message: 'fetch failed: connect ECONNREFUSED 127.0.0.1:1: ECONNREFUSED' }), 'unavailable')
  assert.equal(matchBackendReason({ message: 'something else' }), undefined)
})

test('an engine refusing the request is the request\'s fault, whatever words of the client its message echoes', () => {
  // A 4xx message names what the client sent (here a parameter called "not_ready_overloaded"): it never reads as the
  // engine being down or loading, which would count against the node.
  assert.equal(matchBackendReason({ status: 400, message: 'Unrecognized request argument supplied: not ready, server busy, overloaded' }), 'bad-request')
  assert.equal(matchBackendReason({ status: 422, message: 'model_not_found is not a valid parameter' }), 'bad-request')
  assert.equal(matchBackendReason({ status: 400, message: 'the model is still loading the prompt is too long' }), 'context-length')
  // Ollama's 500 for a job option of the wrong type.
  assert.equal(matchBackendReason({ status: 500, message: 'option "top_k" must be of type integer' }), 'bad-request')
  // A backend that refuses the node itself (credentials, a wrong URL or API path) is the node's fault, not the client's.
  for (const status of [401, 403, 404, 405]) assert.equal(matchBackendReason({ status, message: 'Unauthorized' }), 'misconfigured')
  assert.equal(matchBackendReason({ status: 404, message: 'model "x" not found' }), 'model-not-found')
  assert.equal(new BackendError({ reason: 'misconfigured', backend: 'vllm', url: 'http://gpu:8000/v1', status: 401 }).retryable, false)
  // Without such a status the same words still mean what they say.
  assert.equal(matchBackendReason({ status: 503, message: 'not ready' }), 'loading')
  assert.equal(matchBackendReason({ message: 'server busy' }), 'unavailable')
})

test('BackendError: code, retryable, redacted URL, hints', () => {
  const e = new BackendError({ reason: 'loading', backend: 'vllm', url: 'http://user:pw@gpu:8000/v1', status: 503, retryAfterMs: 2000 })
  assert.equal(e.code, 'backend-loading')
  assert.equal(e.retryable, true)
  assert.equal(e.retryAfterMs, 2000)
  assert.doesNotMatch(e.message, /pw/)
  assert.match(e.shortMessage, /^Backend is loading the model\. \(vllm at http:\/\/\*\*\*@gpu:8000\/v1, HTTP 503\)$/)
  assert.equal(new BackendError({ reason: 'bad-request' }).retryable, false)
  assert.equal(parseRetryAfter('3'), 3000)
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 5_000), 5000)
  assert.equal(parseRetryAfter('soon'), undefined)
})

test('toOpenAIChatBody: pass-through params cannot override stream or model', () => {
  const body = toOpenAIChatBody({ model: 'm', messages: [], params: { stream: false, model: 'x', logit_bias: { 1: 2 } }, continueFinal: true }, { continue_final_message: true })
  assert.equal(body.stream, true)
  assert.equal(body.model, 'm')
  assert.deepEqual(body.logit_bias, { 1: 2 })
  assert.equal(body.continue_final_message, true)
})
