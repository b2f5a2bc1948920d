// The job executor: intake -> dedupe -> decrypt/checks -> payment -> slot or queue -> backend -> stream -> result.
// Every job id runs at most once (the dedupe store is claimed before anything is decrypted or run). Output goes
// to the direct-channel sinks attached to the job, and through the relay as signed ephemeral chunk events when
// the client asked for the relay transport or no direct sink is attached. Every end frees the slot.
import { BackendError } from '../errors/backend.ts'
import type { Logger } from '../../src/log.ts'
import { getExpiration, isAuthentic, type NostrEvent } from '../../src/protocol/event.ts'
import type { NodeFrame } from '../../src/protocol/frames.ts'
import type { JobPayload } from '../../src/protocol/jobRequest.ts'
import { buildJobResult } from '../../src/protocol/jobResult.ts'
import { buildJobStatus, type JobErrorCode, type JobStatusName } from '../../src/protocol/jobStatus.ts'
import { amountDue } from '../../src/protocol/price.ts'
import type { Price } from '../../src/protocol/schema.ts'
import { buildStreamChunk, encryptDelta } from '../../src/protocol/streamChunk.ts'
import type { Signer } from '../../src/signer.ts'
import type { SignatureVerifier } from '../../src/protocol/verify.ts'
import type { Backend, ChatRequest, ModelInfo } from '../backends/types.ts'
import type { RollingMetrics } from '../metrics.ts'
import type { PaymentGate } from '../paymentGate.ts'
import type { DedupeStore } from './dedupeStore.ts'
import { checkJobEvent, checkJobPayload } from './intake.ts'
import { Scheduler } from './scheduler.ts'

/** One direct-channel listener (a WebSocket connection's view of one job, or one SSE response). */
export type JobSink = {
  send(frame: NodeFrame): void
  /** Called once when the job is over for this sink (SSE ends its response). */
  end?: (() => void) | undefined
}

export type ExecutorConfig = {
  price: Price
  maxConcurrency: number
  maxQueue: number
  maxPromptBytes: number
  jobTimeoutMs: number
  relayChunkMs: number
  /** Direct channel: later deltas are batched into one chunk frame per this many ms (0 = per event-loop turn). */
  streamFlushMs?: number | undefined
  /** Served model ids; empty = whatever the backend resolves. */
  models: string[]
}

export type ExecutorParameters = {
  signer: Signer
  backend: Backend
  config: ExecutorConfig
  dedupe: DedupeStore
  payment: PaymentGate
  metrics: RollingMetrics
  /** Publishes a signed event to the relays (status, result); must not throw. */
  publish: (event: NostrEvent) => void
  /** Sends an ephemeral event (chunk) to the relays, fire-and-forget. */
  sendEphemeral: (event: NostrEvent) => void
  logger: Logger
  now?: (() => number) | undefined
  /** Schnorr verifier (libsecp256k1 WASM in the daemon; @noble by default). */
  verify?: SignatureVerifier | undefined
}

type AbortReason = 'cancelled' | 'timeout' | 'shutdown' | 'forged'

const forgedMessage = 'invalid: signature does not verify against pubkey'

/** Per listener: the next chunk seq, and whether it was told `accepted` (always its first frame for the job). */
type SinkState = { seq: number; accepted: boolean }

type Job = {
  id: string
  client: string
  expiresAt: number
  payload: JobPayload
  model: ModelInfo
  sinks: Map<JobSink, SinkState>
  viaRelay: boolean
  abort: AbortController
  abortReason: AbortReason | undefined
  output: string
  pending: string
  flushScheduled: boolean
  relayPending: string
  relaySeq: number
  relayTimer: ReturnType<typeof setTimeout> | undefined
  relayUsed: boolean
  relayChain: Promise<void>
  state: 'queued' | 'running' | 'ended'
  processingSent: boolean
  receivedAt: number | undefined
  /** Waited in the queue (its intake time then says nothing about the node's overhead). */
  waited: boolean
  /** Whether the job event's signature verifies; checked on the first ask when the check was deferred (see submit). */
  authentic: () => boolean
}

/**
 * `receivedAt` (performance.now() when the request arrived) lets the node measure its own share of the TTFT.
 * `author`: the pubkey the direct channel already authenticated (connection auth, or the job's own auth event).
 */
export type SubmitOrigin = ({ via: 'direct'; sink: JobSink; author?: string | undefined } | { via: 'relay' }) & { receivedAt?: number | undefined }

export type ExecutorStats = { running: number; queued: number; slots: { free: number; total: number }; dedupeSize: number }

export type Executor = {
  submit(input: unknown, origin: SubmitOrigin): Promise<void>
  /** Cancels a job if `client` is its author; returns whether a live job was cancelled. */
  cancel(jobId: string, client: string): boolean
  /** A sink went away (client disconnected): a job left with no listener and not asked through a relay stops. */
  detach(jobId: string, sink: JobSink): void
  stats(): ExecutorStats
  stop(): Promise<void>
}

export function createExecutor(parameters: ExecutorParameters): Executor {
  const { signer, backend, config, dedupe, payment, metrics, publish, sendEphemeral, logger } = parameters
  const now = parameters.now ?? Date.now
  const flushMs = config.streamFlushMs ?? 0
  const nowSec = () => Math.floor(now() / 1000)
  const scheduler = new Scheduler<Job>(config.maxConcurrency, config.maxQueue)
  const jobs = new Map<string, Job>()
  const running = new Set<Promise<void>>()
  /** Bookkeeping put off to the next turn (`later`); stop() waits for it before the dedupe store closes. */
  const deferred = new Set<Promise<void>>()
  const later = (fn: () => void) => {
    const p = new Promise<void>((resolve) =>
      setImmediate(() => {
        try {
          fn()
        } catch (err) {
          logger.warn('deferred job bookkeeping failed', { error: (err as Error).message })
        } finally {
          resolve()
        }
      }),
    )
    deferred.add(p)
    void p.finally(() => deferred.delete(p))
  }
  const modelCache = new Map<string, { info: ModelInfo | undefined; until: number }>()
  let stopped = false

  const log = logger

  /** The backend's model for a public id (cached briefly); an Error when the backend cannot be asked. */
  async function resolveModel(id: string): Promise<ModelInfo | undefined | Error> {
    if (config.models.length > 0 && !config.models.includes(id)) return undefined
    const hit = modelCache.get(id)
    if (hit && hit.until > now()) return hit.info
    let info: ModelInfo | undefined
    try {
      info = await backend.resolveModel(id)
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err))
    }
    modelCache.set(id, { info, until: now() + (info ? 30_000 : 2_000) })
    return info
  }

  function status(job: { id: string; client: string }, name: JobStatusName, content: { code?: JobErrorCode; message?: string; queuePosition?: number } = {}) {
    void buildJobStatus(signer, { job: job.id, client: job.client, status: name, content, now: nowSec() }).then(publish, (err: Error) =>
      log.warn('cannot build status event', { job: job.id.slice(0, 12), error: err.message }),
    )
  }

  /** Ends a job before it ran: error frame (with the job id when known) and, for a `job` we trust, an error status. */
  function refuse(origin: SubmitOrigin, job: { id: string; client: string } | undefined, code: JobErrorCode, message: string, retryable = false, frameJob = job?.id) {
    if (origin.via === 'direct') {
      origin.sink.send({ type: 'error', ...(frameJob ? { job: frameJob } : {}), code, message, retryable })
      origin.sink.end?.()
    }
    if (job) status(job, 'error', { code, message: message.slice(0, 1024) })
    log.info('job refused', { job: job?.id.slice(0, 12), code })
  }

  function accept(job: Job, sink: JobSink, state: SinkState) {
    if (state.accepted) return
    state.accepted = true
    sink.send({ type: 'accepted', job: job.id, queuePosition: job.state === 'queued' ? scheduler.queue.indexOf(job) + 1 : 0 })
  }

  /** `deferAccepted`: the `accepted` frame may wait until another frame goes to this sink, or the next turn. */
  function attach(job: Job, sink: JobSink, deferAccepted = false) {
    const state: SinkState = { seq: 0, accepted: false }
    job.sinks.set(sink, state)
    if (!deferAccepted) accept(job, sink, state)
    // A listener that joins late first gets everything streamed so far, so its output hash still matches.
    const sofar = job.output.slice(0, job.output.length - job.pending.length)
    if (sofar) {
      accept(job, sink, state)
      sink.send({ type: 'chunk', job: job.id, seq: state.seq++, c: encryptDelta(signer.conversationKey(job.client), sofar) })
    }
  }

  /** A job whose deferred signature check failed: stopped, answered `invalid` on the direct channel only. */
  function endForged(job: Job) {
    job.state = 'ended'
    for (const sink of job.sinks.keys()) {
      sink.send({ type: 'error', job: job.id, code: 'invalid', message: forgedMessage, retryable: false })
      sink.end?.()
    }
    dedupe.finish(job.id, 'invalid')
    log.info('job refused', { job: job.id.slice(0, 12), code: 'invalid' })
  }

  async function submit(input: unknown, origin: SubmitOrigin): Promise<void> {
    if (stopped) return refuse(origin, undefined, 'internal', 'node is shutting down', true)
    // When the direct channel already authenticated the job's author, the Schnorr check of the job's own
    // signature waits until the backend call is on its way: it is the largest single cost before that call.
    const deferSignature = origin.via === 'direct' && origin.author !== undefined && origin.author === (input as NostrEvent | null)?.pubkey
    const checked = checkJobEvent(input, { node: signer.pubkey, now: nowSec(), verify: parameters.verify, deferSignature })
    if (!checked.ok) {
      // A job we cannot trust to be from its claimed author gets no public status event, nor does an expired job
      // read back from a relay (after a restart the subscription replays the last minutes).
      const trusted = checked.code === 'expired' && origin.via === 'direct'
      const ev = input as NostrEvent
      const id = typeof ev?.id === 'string' && /^[0-9a-f]{64}$/.test(ev.id) ? ev.id : undefined
      return refuse(origin, trusted ? { id: ev.id, client: ev.pubkey } : undefined, checked.code, checked.message, false, id)
    }
    const { event, request } = checked
    const ref = { id: event.id, client: event.pubkey }
    // The deferred signature check (nips/stream.md, "Job intake"), done at most once: every path that would answer
    // the job in public or stream to it asks first.
    let authenticity: boolean | undefined = deferSignature ? undefined : true
    const authentic = () => (authenticity ??= isAuthentic(event, parameters.verify))
    // Refusals after this point publish an error status; an event whose signature fails gets none (as at the door).
    const refuseJob = (code: JobErrorCode, message: string, retryable = false) =>
      authentic() ? refuse(origin, ref, code, message, retryable) : refuse(origin, undefined, 'invalid', forgedMessage, false, event.id)
    const live = jobs.get(event.id)
    if (live) {
      if (origin.via === 'direct') attach(live, origin.sink)
      else live.viaRelay = true
      log.debug('duplicate joined live job', { job: event.id.slice(0, 12), via: origin.via })
      return
    }
    if (!dedupe.claim(event.id, request.expiresAt, nowSec())) {
      if (origin.via === 'direct') refuse(origin, undefined, 'duplicate', `job ${event.id.slice(0, 12)}… already ran on this node`, false, event.id)
      return
    }
    const payloadCheck = checkJobPayload(event, { signer, price: config.price, maxPromptBytes: config.maxPromptBytes })
    if (!payloadCheck.ok) {
      dedupe.finish(event.id, payloadCheck.code)
      return refuseJob(payloadCheck.code, payloadCheck.message)
    }
    const payload = payloadCheck.payload
    const model = await resolveModel(payload.model)
    if (model instanceof Error) {
      dedupe.finish(event.id, 'backend')
      return refuseJob('backend', `the backend cannot be reached (${model instanceof BackendError ? model.shortMessage : model.message})`, true)
    }
    if (!model) {
      dedupe.finish(event.id, 'unknown-model')
      return refuseJob('unknown-model', `this node does not serve model "${payload.model}"`)
    }
    const auth = await payment.authorize(event.pubkey, event.id, { model: payload.model, price: config.price })
    if (!auth.ok) {
      dedupe.finish(event.id, 'payment')
      return refuseJob('payment', auth.reason)
    }
    if (jobs.has(event.id) || stopped) return
    const job: Job = {
      id: event.id,
      client: event.pubkey,
      expiresAt: getExpiration(event) ?? request.expiresAt,
      payload,
      model,
      sinks: new Map(),
      viaRelay: origin.via === 'relay',
      abort: new AbortController(),
      abortReason: undefined,
      output: '',
      pending: '',
      flushScheduled: false,
      relayPending: '',
      relaySeq: 0,
      relayTimer: undefined,
      relayUsed: false,
      relayChain: Promise.resolve(),
      state: 'queued',
      processingSent: false,
      receivedAt: origin.receivedAt,
      waited: false,
      authentic,
    }
    // Deferring only pays when the job runs at once; one that would wait or be refused is checked now.
    if (scheduler.freeSlots <= 0 && !authentic()) {
      dedupe.finish(event.id, 'invalid')
      return refuse(origin, undefined, 'invalid', forgedMessage, false, event.id)
    }
    const admission = scheduler.admit(job)
    if (admission.kind === 'busy') {
      dedupe.finish(event.id, 'busy')
      return refuseJob('busy', `all ${config.maxConcurrency} slots and ${config.maxQueue} queue places are taken`, true)
    }
    jobs.set(job.id, job)
    if (admission.kind === 'queued') {
      if (origin.via === 'direct') attach(job, origin.sink)
      job.waited = true
      status(job, 'queued', { queuePosition: admission.position })
      log.info('job queued', { job: job.id.slice(0, 12), position: admission.position })
      return
    }
    // A job that runs at once calls its backend first and tells the client `accepted` right after: each frame
    // written is a syscall, and nothing written before the backend call may add to the time to first token.
    if (origin.via === 'direct') attach(job, origin.sink, true)
    start(job)
    if (origin.via === 'direct') {
      const sink = origin.sink
      setImmediate(() => {
        if (job.state === 'ended') return
        if (!authentic()) {
          job.abortReason = 'forged'
          job.abort.abort()
          return
        }
        const state = job.sinks.get(sink)
        if (state) accept(job, sink, state)
      })
    }
  }

  function start(job: Job) {
    job.state = 'running'
    const p = run(job).finally(() => running.delete(p))
    running.add(p)
  }

  function outputToRelay(job: Job): boolean {
    return job.payload.transport === 'relay' || job.sinks.size === 0
  }

  function flushDirect(job: Job) {
    job.flushScheduled = false
    if (!job.pending) return
    const text = job.pending
    job.pending = ''
    if (job.sinks.size === 0) return
    const c = encryptDelta(signer.conversationKey(job.client), text)
    for (const [sink, state] of job.sinks) {
      accept(job, sink, state)
      sink.send({ type: 'chunk', job: job.id, seq: state.seq++, c })
    }
  }

  function flushRelay(job: Job): Promise<void> {
    if (job.relayTimer) clearTimeout(job.relayTimer)
    job.relayTimer = undefined
    if (!job.relayPending) return job.relayChain
    const text = job.relayPending
    job.relayPending = ''
    const seq = job.relaySeq++
    job.relayUsed = true
    // Chained so chunks leave in order even though signing is async.
    job.relayChain = job.relayChain.then(() =>
      buildStreamChunk(signer, { job: job.id, client: job.client, seq, text, now: nowSec() }).then(sendEphemeral, (err: Error) =>
        log.warn('cannot build chunk event', { job: job.id.slice(0, 12), error: err.message }),
      ),
    )
    return job.relayChain
  }

  function onDelta(job: Job, text: string) {
    if (!text) return
    if (outputToRelay(job)) {
      // Relay output covers everything from the first token, so a late direct listener is not needed.
      job.relayPending += text
      if (!job.relayUsed && job.relaySeq === 0) void flushRelay(job)
      else if (!job.relayTimer) job.relayTimer = setTimeout(() => void flushRelay(job), config.relayChunkMs)
    }
    const first = job.output === ''
    job.output += text
    if (job.sinks.size > 0) {
      job.pending += text
      if (first) {
        // The first token goes out at once: nothing else the node does may add to the time to first token.
        flushDirect(job)
      } else if (!job.flushScheduled) {
        // Later deltas are batched (one encryption and one frame per batch), which bounds the node's work per
        // stream whatever the backend's token rate.
        job.flushScheduled = true
        if (flushMs > 0) setTimeout(() => flushDirect(job), flushMs)
        else setImmediate(() => flushDirect(job))
      }
    }
    if (first) setImmediate(() => sendProcessing(job))
  }

  function broadcast(job: Job, frame: NodeFrame, end = false) {
    for (const [sink, state] of job.sinks) {
      accept(job, sink, state)
      sink.send(frame)
      if (end) sink.end?.()
    }
  }

  async function run(job: Job): Promise<void> {
    const started = now()
    let ttftMs = -1
    let processingTimer: ReturnType<typeof setTimeout> | undefined
    const timer = setTimeout(() => {
      job.abortReason ??= 'timeout'
      job.abort.abort()
    }, config.jobTimeoutMs)
    try {
      if (job.expiresAt <= nowSec()) {
        endWithError(job, 'expired', 'job request expired while it waited in the queue')
        return
      }
      // Listeners of a job that waited learn that it runs now; the others were told so by `accepted` (position 0).
      if (job.waited) broadcast(job, { type: 'status', job: job.id, status: 'processing' })
      // The processing status event is signed and published once the first token is out (or after 20 ms
      // without one), so signing and publishing never delay the first token.
      processingTimer = setTimeout(() => sendProcessing(job), 20)
      log.info('job started', { job: job.id.slice(0, 12), model: job.payload.model, via: job.viaRelay ? 'relay' : 'direct' })
      // The job's parameters go to the backend as the payload carries them; the adapter alone translates them.
      const request: ChatRequest = {
        model: job.model.backendId,
        messages: job.payload.messages,
        params: job.payload.params,
        ...(job.payload.continue ? { continueFinal: true } : {}),
      }
      let usage = { promptTokens: 0, completionTokens: 0 }
      let finishReason = 'stop'
      let done = false
      // Node overhead on the TTFT path, part 1: from the request's arrival to the backend call (not when queued).
      if (job.receivedAt !== undefined && !job.waited) metrics.recordIntake(performance.now() - job.receivedAt)
      for await (const chunk of backend.chat(request, { signal: job.abort.signal })) {
        if (job.abort.signal.aborted) break
        if (chunk.type === 'delta') {
          if (ttftMs < 0 && chunk.text) {
            ttftMs = now() - started
            // part 2: from the first token's arrival to its frame being written to the client's socket
            const t = performance.now()
            onDelta(job, chunk.text)
            if (job.sinks.size > 0) metrics.recordEgress(performance.now() - t)
          } else onDelta(job, chunk.text)
        } else {
          usage = chunk.usage
          finishReason = chunk.finishReason
          done = true
        }
      }
      if (job.abort.signal.aborted || !done) throw new BackendError({ reason: job.abort.signal.aborted ? 'cancelled' : 'stream-error', backend: backend.kind })
      // The deferred signature check ran long before any output (see submit); this only makes the order a rule.
      if (!job.authentic()) {
        job.abortReason = 'forged'
        throw new Error('job signature does not verify')
      }
      flushDirect(job)
      if (job.relayPending || job.relayUsed) await flushRelay(job)
      const durationMs = now() - started
      const amount = amountDue(usage, config.price)
      const result = await buildJobResult(signer, {
        job: job.id,
        client: job.client,
        model: job.payload.model,
        usage,
        amount,
        output: job.output,
        finishReason,
        ttftMs: Math.max(0, ttftMs),
        durationMs,
        includeText: job.relayUsed || job.payload.transport === 'relay',
        now: nowSec(),
      })
      job.state = 'ended'
      sendProcessing(job)
      // What the job is due is recorded before the client can see the result: its receipt may come back at once,
      // and a node killed between the two would otherwise never accept that receipt.
      await payment.settle(job.client, job.id, amount).catch((err: Error) => log.warn('settle failed', { job: job.id.slice(0, 12), error: err.message }))
      broadcast(job, { type: 'result', job: job.id, event: result }, true)
      publish(result)
      // The success status (a signature) and the dedupe note wait for the next turn: when many streams end at once,
      // every result goes out before any of this bookkeeping.
      later(() => {
        status(job, 'success')
        dedupe.finish(job.id, 'success')
      })
      metrics.record({ ttftMs: Math.max(0, ttftMs), completionTokens: usage.completionTokens, durationMs })
      log.info('job done', { job: job.id.slice(0, 12), tokens: usage.completionTokens, ms: Math.round(durationMs) })
    } catch (err) {
      metrics.recordFailure()
      if (job.abortReason === 'forged' || !job.authentic()) endForged(job)
      else if (job.abortReason === 'cancelled') endWithError(job, 'cancelled', 'the client cancelled the job', false, 'cancelled')
      else if (job.abortReason === 'shutdown') endWithError(job, 'internal', 'the node shut down during the job', true)
      else if (job.abortReason === 'timeout') endWithError(job, 'backend', `the job ran past ${config.jobTimeoutMs} ms`, true)
      else if (err instanceof BackendError) endWithError(job, 'backend', err.shortMessage, err.retryable)
      else {
        log.error('job failed', { job: job.id.slice(0, 12), error: (err as Error).message })
        endWithError(job, 'internal', 'the node failed while running the job', true)
      }
    } finally {
      clearTimeout(timer)
      clearTimeout(processingTimer)
      if (job.relayTimer) clearTimeout(job.relayTimer)
      finishJob(job)
    }
  }

  function sendProcessing(job: Job) {
    if (job.processingSent) return
    job.processingSent = true
    status(job, 'processing')
  }

  function endWithError(job: Job, code: JobErrorCode, message: string, retryable = false, statusName: JobStatusName = 'error') {
    if (job.state === 'running') sendProcessing(job)
    job.state = 'ended'
    flushDirect(job)
    broadcast(job, { type: 'error', job: job.id, code, message, retryable }, true)
    status(job, statusName, statusName === 'error' ? { code, message } : { code, message })
    dedupe.finish(job.id, code)
    log.info('job ended', { job: job.id.slice(0, 12), code })
  }

  function finishJob(job: Job) {
    job.state = 'ended'
    jobs.delete(job.id)
    for (const next of scheduler.release(job.id)) start(next)
  }

  function cancelJob(job: Job, reason: AbortReason) {
    if (job.state === 'queued') {
      job.abortReason = reason
      endWithError(job, reason === 'cancelled' ? 'cancelled' : 'internal', reason === 'cancelled' ? 'the client cancelled the job' : 'the node shut down', reason !== 'cancelled', reason === 'cancelled' ? 'cancelled' : 'error')
      finishJob(job)
      return
    }
    job.abortReason ??= reason
    job.abort.abort()
  }

  return {
    submit,
    cancel(jobId, client) {
      const job = jobs.get(jobId)
      if (!job || job.client !== client || job.state === 'ended') return false
      log.info('job cancel requested', { job: jobId.slice(0, 12) })
      cancelJob(job, 'cancelled')
      return true
    },
    detach(jobId, sink) {
      const job = jobs.get(jobId)
      if (!job || !job.sinks.delete(sink)) return
      if (job.sinks.size === 0 && !job.viaRelay && job.state !== 'ended') {
        log.info('client went away, stopping job', { job: jobId.slice(0, 12) })
        cancelJob(job, 'cancelled')
      }
    },
    stats() {
      return {
        running: scheduler.running.size,
        queued: scheduler.queue.length,
        slots: { free: scheduler.freeSlots, total: config.maxConcurrency },
        dedupeSize: dedupe.size(),
      }
    },
    async stop() {
      stopped = true
      for (const job of [...scheduler.queue]) cancelJob(job, 'shutdown')
      for (const job of [...scheduler.running.values()]) cancelJob(job, 'shutdown')
      await Promise.allSettled([...running])
      await Promise.allSettled([...deferred])
    },
  }
}
