import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BackendError } from '../../../node/errors/backend.ts'
import { endingOf, forgedMessage, planEnding, type JobEnding } from '../../../node/jobs/endings.ts'
import type { NostrEvent } from '../../../src/protocol/event.ts'

const result = { id: 'r' } as NostrEvent

test('ending table: last frame, status, dedupe note, metrics and processing status per ending', () => {
  const row = (ending: JobEnding, phase: 'queued' | 'running' = 'running') => {
    const p = planEnding(ending, phase)
    return [p.frame.type === 'error' ? [p.frame.code, p.frame.message, p.frame.retryable] : 'result', p.status?.name ?? 'none', p.releaseClaim ? 'released' : p.dedupe, p.metrics.kind, p.processingFirst]
  }
  assert.deepEqual(row({ kind: 'success', result, amount: 5n, usage: { promptTokens: 1, completionTokens: 2 }, ttftMs: 3, durationMs: 4 }), ['result', 'none', 'success', 'completed', true])
  // A forged copy gives its id back (the genuine job may still come) and, like a cancel, is the client's doing:
  // no failure against the node.
  assert.deepEqual(row({ kind: 'forged' }), [['invalid', forgedMessage, false], 'none', 'released', 'none', false])
  assert.deepEqual(row({ kind: 'cancelled' }), [['cancelled', 'the client cancelled the job', false], 'cancelled', 'cancelled', 'none', true])
  assert.deepEqual(row({ kind: 'cancelled' }, 'queued'), [['cancelled', 'the client cancelled the job', false], 'cancelled', 'cancelled', 'none', false])
  assert.deepEqual(row({ kind: 'shutdown' }), [['internal', 'the node shut down during the job', true], 'error', 'internal', 'failure', true])
  assert.deepEqual(row({ kind: 'shutdown' }, 'queued'), [['internal', 'the node shut down', true], 'error', 'internal', 'none', false])
  assert.deepEqual(row({ kind: 'timeout', limitMs: 900 }), [['backend', 'the job ran past 900 ms', true], 'error', 'backend', 'failure', true])
  assert.deepEqual(row({ kind: 'expired' }), [['expired', 'job request expired while it waited in the queue', false], 'error', 'expired', 'none', true])
  assert.deepEqual(row({ kind: 'backend-error', message: 'loading', retryable: true }), [['backend', 'loading', true], 'error', 'backend', 'failure', true])
  // The client's mistake, refused by the engine: its own code, not retryable, and no failure against the node.
  assert.deepEqual(row({ kind: 'rejected', code: 'too-large', message: 'over the context' }), [['too-large', 'over the context', false], 'error', 'too-large', 'none', true])
  assert.deepEqual(row({ kind: 'rejected', code: 'bad-payload', message: 'bad top_k' }), [['bad-payload', 'bad top_k', false], 'error', 'bad-payload', 'none', true])
  assert.deepEqual(row({ kind: 'internal-error', error: 'boom' }), [['internal', 'the node failed while running the job', true], 'error', 'internal', 'failure', true])

  const success = planEnding({ kind: 'success', result, amount: 5n, usage: { promptTokens: 1, completionTokens: 2 }, ttftMs: 3, durationMs: 4 }, 'running')
  assert.equal(success.settle, 5n)
  assert.equal(success.deferBookkeeping, true)
  assert.deepEqual(success.metrics, { kind: 'completed', ttftMs: 3, completionTokens: 2, durationMs: 4 })
  const forged = planEnding({ kind: 'forged' }, 'running')
  // A forged job's listeners get its error alone: no `accepted`, no output flushed before it.
  assert.deepEqual([forged.announce, forged.flushOutput, forged.settle], [false, false, undefined])
  assert.equal(planEnding({ kind: 'internal-error', error: 'boom' }, 'running').log.level, 'error')
})

test('endingOf: the executor\'s own reason first, a forged job above all, then what the backend said', () => {
  const authentic = () => true
  const backendError = new BackendError({ reason: 'loading', backend: 'ollama' })
  const of = (error: unknown, abortReason?: 'cancelled' | 'timeout' | 'shutdown' | 'forged', isAuthentic = authentic) =>
    endingOf(error, { abortReason, authentic: isAuthentic, timeoutMs: 50 })
  assert.deepEqual(of(backendError, 'forged'), { kind: 'forged' })
  assert.deepEqual(of(backendError, 'cancelled', () => false), { kind: 'forged' })
  assert.deepEqual(of(backendError, 'cancelled'), { kind: 'cancelled' })
  assert.deepEqual(of(backendError, 'shutdown'), { kind: 'shutdown' })
  assert.deepEqual(of(backendError, 'timeout'), { kind: 'timeout', limitMs: 50 })
  assert.deepEqual(of(backendError), { kind: 'backend-error', message: backendError.shortMessage, retryable: backendError.retryable })
  assert.deepEqual(of(new Error('boom')), { kind: 'internal-error', error: 'boom' })
  // llama-server's words for a prompt over the context, without the backend's address.
  const overContext = new BackendError({ reason: 'context-length', backend: 'llamacpp', url: 'http://127.0.0.1:8080/v1/chat/completions', status: 400, details: 'request (3017 tokens) exceeds the available context size (1024 tokens), try increasing it' })
  assert.deepEqual(of(overContext), { kind: 'rejected', code: 'too-large', message: "The prompt does not fit the model's context. request (3017 tokens) exceeds the available context size (1024 tokens), try increasing it" })
  const badRequest = new BackendError({ reason: 'bad-request', backend: 'vllm', status: 400, details: 'top_k must be -1 or at least 1' })
  assert.deepEqual(of(badRequest), { kind: 'rejected', code: 'bad-payload', message: 'the backend rejected the request: top_k must be -1 or at least 1' })
})
