// How an admitted job ends: one table (planEnding) from each ending to its last frame, its public status event,
// what the dedupe store remembers, the payment settled, the rolling metrics and the log line. `endingOf` names the
// ending of a run that threw; the executor applies the plan and chooses no status or error code of its own.
// Refusals at the door (before a job exists) are not endings: see the executor's `refuse`.
import type { NostrEvent } from '../../src/protocol/event.ts'
import type { JobErrorCode, JobStatusName } from '../../src/protocol/jobStatus.ts'
import { BackendError } from '../errors/backend.ts'
import type { Usage } from '../backends/types.ts'

export type JobEnding =
  | { kind: 'success'; result: NostrEvent; amount: bigint; usage: Usage; ttftMs: number; durationMs: number }
  /** The deferred signature check failed: nothing about the job is published (as at the door). */
  | { kind: 'forged' }
  | { kind: 'cancelled' }
  | { kind: 'shutdown' }
  | { kind: 'timeout'; limitMs: number }
  /** It waited in the queue past its expiration and never reached the backend. */
  | { kind: 'expired' }
  | { kind: 'backend-error'; message: string; retryable: boolean }
  /**
   * The backend refused the request itself (its parameters, or a prompt over the model's context): the client's
   * doing, so it is not the node's failure (no failure in the metrics) and the code says which it was.
   */
  | { kind: 'rejected'; code: Extract<JobErrorCode, 'too-large' | 'bad-payload'>; message: string }
  /** Anything else thrown while it ran (a bug). */
  | { kind: 'internal-error'; error: string }

/** Why the executor stopped a job itself (its AbortSignal fired). */
export type AbortReason = 'cancelled' | 'timeout' | 'shutdown' | 'forged'

/** Where the job was when it ended: waiting for a slot, or holding one. */
export type EndingPhase = 'queued' | 'running'

export type EndingPlan = {
  /** The last frame to every direct listener (the job id is added): the signed result, or an error. */
  frame: { type: 'result'; event: NostrEvent } | { type: 'error'; code: JobErrorCode; message: string; retryable: boolean }
  /** Whether a listener not yet told `accepted` is told so before the last frame (not a forged job's). */
  announce: boolean
  /** Whether the batched output reaches the direct listeners before the last frame (not a forged job's). */
  flushOutput: boolean
  /** A running job's status events tell the whole story: `processing` goes out before the terminal one. */
  processingFirst: boolean
  /** Recorded before the listeners see the result: its receipt may come back at once. */
  settle: bigint | undefined
  /** The public status event; none for a forged job. */
  status: { name: JobStatusName; content: { code?: JobErrorCode; message?: string } } | undefined
  /** What the dedupe store notes for the id. */
  dedupe: 'success' | JobErrorCode
  /**
   * The dedupe store forgets the id instead: a forged copy carries the genuine job's id (NIP-01 ids do not cover
   * `sig`), and noting it would refuse the genuine job as a duplicate.
   */
  releaseClaim: boolean
  /**
   * The status event and the dedupe note wait for the next turn: when many streams end at once, every result goes
   * out before any of this bookkeeping.
   */
  deferBookkeeping: boolean
  /**
   * Rolling metrics: a completed job, a failure of the node's own (its backend, its timeout, its shutdown), or
   * nothing: a job that never reached the backend, or one the client ended (cancelled, forged, refused by the
   * engine for what the client asked) is no failure of the node.
   */
  metrics: { kind: 'completed'; ttftMs: number; completionTokens: number; durationMs: number } | { kind: 'failure' } | { kind: 'none' }
  log: { level: 'info' | 'error'; message: string; fields: Record<string, unknown> }
}

export const forgedMessage = 'invalid: signature does not verify against pubkey'

/** An ending without a result: an error frame and, unless forged, an error (or cancelled) status. */
function failed(phase: EndingPhase, code: JobErrorCode, message: string, retryable: boolean, name: JobStatusName = 'error'): EndingPlan {
  return {
    frame: { type: 'error', code, message, retryable },
    announce: true,
    flushOutput: true,
    processingFirst: phase === 'running',
    settle: undefined,
    status: { name, content: { code, message } },
    dedupe: code,
    releaseClaim: false,
    deferBookkeeping: false,
    metrics: phase === 'running' ? { kind: 'failure' } : { kind: 'none' },
    log: { level: 'info', message: 'job ended', fields: { code } },
  }
}

/** The ending table. */
export function planEnding(ending: JobEnding, phase: EndingPhase): EndingPlan {
  switch (ending.kind) {
    case 'success':
      return {
        frame: { type: 'result', event: ending.result },
        announce: true,
        flushOutput: true,
        processingFirst: true,
        settle: ending.amount,
        // No `success` status event: the signed result says the job succeeded (nips/job-status.md, version 2).
        status: undefined,
        dedupe: 'success',
        releaseClaim: false,
        deferBookkeeping: true,
        metrics: { kind: 'completed', ttftMs: ending.ttftMs, completionTokens: ending.usage.completionTokens, durationMs: ending.durationMs },
        log: { level: 'info', message: 'job done', fields: { tokens: ending.usage.completionTokens, ms: Math.round(ending.durationMs) } },
      }
    case 'forged':
      return {
        ...failed(phase, 'invalid', forgedMessage, false),
        announce: false,
        flushOutput: false,
        processingFirst: false,
        status: undefined,
        releaseClaim: true,
        metrics: { kind: 'none' },
        log: { level: 'info', message: 'job refused', fields: { code: 'invalid' } },
      }
    case 'cancelled':
      return { ...failed(phase, 'cancelled', 'the client cancelled the job', false, 'cancelled'), metrics: { kind: 'none' } }
    case 'shutdown':
      return failed(phase, 'internal', phase === 'queued' ? 'the node shut down' : 'the node shut down during the job', true)
    case 'timeout':
      return failed(phase, 'backend', `the job ran past ${ending.limitMs} ms`, true)
    case 'expired':
      return { ...failed(phase, 'expired', 'job request expired while it waited in the queue', false), metrics: { kind: 'none' } }
    case 'backend-error':
      return failed(phase, 'backend', ending.message, ending.retryable)
    case 'rejected':
      return { ...failed(phase, ending.code, ending.message, false), metrics: { kind: 'none' } }
    case 'internal-error':
      return {
        ...failed(phase, 'internal', 'the node failed while running the job', true),
        log: { level: 'error', message: 'job failed', fields: { code: 'internal', error: ending.error } },
      }
  }
}

/**
 * The ending of a run that threw: the executor's own reason to stop it first (a forged job above all, however it
 * was found out), then what the backend said. `authentic` is the job's memoized deferred signature check.
 */
export function endingOf(error: unknown, { abortReason, authentic, timeoutMs }: { abortReason: AbortReason | undefined; authentic: () => boolean; timeoutMs: number }): JobEnding {
  if (abortReason === 'forged' || !authentic()) return { kind: 'forged' }
  if (abortReason === 'cancelled') return { kind: 'cancelled' }
  if (abortReason === 'shutdown') return { kind: 'shutdown' }
  if (abortReason === 'timeout') return { kind: 'timeout', limitMs: timeoutMs }
  if (error instanceof BackendError) {
    // The engine's own words say how far over the limit the request was; they name no prompt content.
    if (error.reason === 'context-length') return { kind: 'rejected', code: 'too-large', message: `${error.shortMessage.replace(/\s*\(.*$/, '')} ${error.details ?? ''}`.trim().slice(0, 512) }
    if (error.reason === 'bad-request') return { kind: 'rejected', code: 'bad-payload', message: `the backend rejected the request: ${error.details ?? error.shortMessage}`.slice(0, 512) }
    return { kind: 'backend-error', message: error.shortMessage, retryable: error.retryable }
  }
  return { kind: 'internal-error', error: error instanceof Error ? error.message : String(error) }
}
