// The job executor: admission (intake -> dedupe -> decrypt/checks -> payment -> slot or queue) and lifecycle
// (backend -> result, or one of the endings in endings.ts). Every job id runs at most once (the dedupe store is
// claimed before anything is decrypted or run; a copy whose signature fails gives the claim back, so a forgery
// with the genuine job's id cannot burn it). A job's output (direct-channel sinks, batching, late-join replay,
// relay chunk events) is its JobOutput (output.ts). Every end frees the slot.
import { BackendError } from '../errors/backend.ts'
import { isAuthentic, type NostrEvent } from '../../src/protocol/event.ts'
import { getExpiration } from '../../src/protocol/nip40.ts'
import { buildJobResult } from '../../src/protocol/jobResult.ts'
import { buildJobStatus, type JobErrorCode, type JobStatusName } from '../../src/protocol/jobStatus.ts'
import { maxOutputTokens } from '../../src/protocol/generationParams.ts'
import { amountDue, isFree } from '../../src/protocol/price.ts'
import { worstCaseAmount } from '../../src/protocol/worstCase.ts'
import type { ChatRequest } from '../backends/types.ts'
import { endingOf, forgedMessage, planEnding, type JobEnding } from './endings.ts'
import { checkJobEvent, checkJobPayload } from './intake.ts'
import { createModelResolver } from './modelResolver.ts'
import { JobOutput, type JobSink, type OutputContext } from './output.ts'
import { createDeferredTasks } from './deferredTasks.ts'
import type { Executor, ExecutorParameters, Job, SubmitOrigin } from './executorTypes.ts'
import { runBackend } from './runBackend.ts'
import { runEmbedding } from './runEmbedding.ts'
import { announcedFeatures } from '../capability.ts'
import { featuresOf } from '../../src/protocol/features.ts'
import { embeddingWorstCaseUsage } from '../../src/protocol/embeddingJob.ts'
import { Scheduler } from './scheduler.ts'

export type { JobSink }

export type { Executor, ExecutorConfig, ExecutorParameters, ExecutorStats, SubmitOrigin } from './executorTypes.ts'

export function createExecutor(parameters: ExecutorParameters): Executor {
  const { signer, backend, config, dedupe, payment, metrics, publish, sendEphemeral, logger } = parameters
  const now = parameters.now ?? Date.now
  const flushMs = config.streamFlushMs ?? 0
  const nowSec = () => Math.floor(now() / 1000)
  const scheduler = new Scheduler<Job>(config.maxConcurrency, config.maxQueue)
  const jobs = new Map<string, Job>()
  /** Ids claimed and still being checked (decrypt, model, payment): a second copy waits for the outcome. */
  const admitting = new Map<string, Promise<void>>()
  // Read before any claim of this daemon can prune them.
  const interrupted = dedupe.interrupted()
  const running = new Set<Promise<void>>()
  const deferredTasks = createDeferredTasks(logger)
  const later = deferredTasks.later
  const resolveModel = createModelResolver({ backend, models: config.models, now })
  let stopped = false
  const log = logger

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

  const outputContext: OutputContext = { signer, sendEphemeral, relayChunkMs: config.relayChunkMs, flushMs, nowSec, logger }

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
    // Refusals once the id is claimed: the dedupe store notes the code, and an error status is published unless
    // the event's signature fails (then it gets none, as at the door).
    const refuseClaimed = (code: JobErrorCode, message: string, retryable = false) => {
      if (authentic()) {
        dedupe.finish(event.id, code)
        refuse(origin, ref, code, message, retryable)
      } else {
        // The id belongs to whoever signed it: a forged copy must not keep it from the genuine job.
        dedupe.release(event.id)
        refuse(origin, undefined, 'invalid', forgedMessage, false, event.id)
      }
    }
    const live = jobs.get(event.id)
    if (live) {
      if (live.authentic()) {
        if (origin.via === 'direct') live.output.attach(origin.sink)
        else live.viaRelay = true
        log.debug('duplicate joined live job', { job: event.id.slice(0, 12), via: origin.via })
        return
      }
      // The live copy is a forgery under this id (its check was deferred): stop it, then admit this copy anew.
      stopForged(live)
      await live.finished
      return submit(input, origin)
    }
    const pending = admitting.get(event.id)
    if (pending) {
      // Another copy is being checked: it may run (then this one joins it) or turn out forged (then this one runs).
      await pending
      return submit(input, origin)
    }
    if (!dedupe.claim(event.id, request.expiresAt, nowSec(), deferSignature ? undefined : event.pubkey)) {
      if (origin.via === 'direct') refuse(origin, undefined, 'duplicate', `job ${event.id.slice(0, 12)}… already ran on this node`, false, event.id)
      return
    }
    let admitted!: () => void
    admitting.set(event.id, new Promise<void>((resolve) => (admitted = resolve)))
    try {
      await admit(event, request.expiresAt, origin, authentic, refuseClaimed, deferSignature)
    } finally {
      admitting.delete(event.id)
      admitted()
    }
  }

  /** Admission of a claimed job: payload checks, model, payment, then a slot or a queue place. */
  async function admit(
    event: NostrEvent,
    requestExpiresAt: number,
    origin: SubmitOrigin,
    authentic: () => boolean,
    refuseClaimed: (code: JobErrorCode, message: string, retryable?: boolean) => void,
    deferred: boolean,
  ): Promise<void> {
    const payloadCheck = await checkJobPayload(event, { signer, price: config.price, maxPromptBytes: config.maxPromptBytes })
    if (!payloadCheck.ok) return refuseClaimed(payloadCheck.code, payloadCheck.message)
    const payload = payloadCheck.payload
    const model = await resolveModel(payload.model)
    if (model instanceof Error) return refuseClaimed('backend', `the backend cannot be reached (${model instanceof BackendError ? model.shortMessage : model.message})`, true)
    if (!model) return refuseClaimed('unknown-model', `this node does not serve model "${payload.model}"`)
    // Jobs go by what the capability announces: an embedding model gets no chat, a chat model no embeddings job.
    const features = featuresOf({ features: announcedFeatures(model.features, config.features ?? [], backend.kind) })
    const kind = payload.v === 3 ? 'embeddings' : 'chat'
    if (!features.includes(kind)) {
      return refuseClaimed('bad-payload', kind === 'embeddings' ? `model "${payload.model}" on this node is not an embedding model (no embeddings feature)` : `model "${payload.model}" on this node serves embeddings only (no chat feature)`)
    }
    // A priced job counts against the payer's credit at the most it can cost until it is settled or released.
    const priced = !isFree(config.price)
    const asked = payload.v === 3 ? undefined : maxOutputTokens(payload.params)
    const addedMaxTokens = priced && asked === undefined && payload.v !== 3 ? (config.maxOutputTokens ?? 4096) : undefined
    const worstCase = !priced
      ? 0n
      : payload.v === 3
        ? amountDue(embeddingWorstCaseUsage(payload.input), config.price)
        : worstCaseAmount({ messages: payload.messages, maxTokens: asked ?? addedMaxTokens ?? 0 }, config.price)
    const auth = await payment.authorize(event.pubkey, event.id, { model: payload.model, price: config.price, worstCase })
    if (!auth.ok) return refuseClaimed('payment', auth.reason)
    // Every way out from here ends the reservation: finishJob for an admitted job, `unreserve` before that.
    const unreserve = () => payment.release(event.pubkey, event.id)
    // (A live job of this id holds the reservation, under the same id: leave it.)
    if (jobs.has(event.id)) return
    if (stopped) return unreserve()
    let markFinished!: () => void
    const finished = new Promise<void>((resolve) => (markFinished = resolve))
    const job: Job = {
      id: event.id,
      client: event.pubkey,
      expiresAt: getExpiration(event) ?? requestExpiresAt,
      payload,
      model,
      output: new JobOutput(outputContext, {
        id: event.id,
        client: event.pubkey,
        transport: payload.transport,
        structured: payload.v === 2,
        chunkCipher: payload.chunks,
        queuePosition: () => (job.state === 'queued' ? scheduler.queue.indexOf(job) + 1 : 0),
      }),
      viaRelay: origin.via === 'relay',
      abort: new AbortController(),
      abortReason: undefined,
      state: 'queued',
      processingSent: false,
      receivedAt: origin.receivedAt,
      waited: false,
      authentic,
      finished,
      markFinished,
      addedMaxTokens,
    }
    // Deferring only pays when the job runs at once; one that would wait or be refused is checked now.
    if (scheduler.freeSlots <= 0 && !authentic()) {
      unreserve()
      return refuseClaimed('invalid', forgedMessage)
    }
    const admission = scheduler.admit(job)
    if (admission.kind === 'busy') {
      unreserve()
      return refuseClaimed('busy', `all ${config.maxConcurrency} slots and ${config.maxQueue} queue places are taken`, true)
    }
    jobs.set(job.id, job)
    // A job that passed its deferred check is in flight from now on (it was, from its claim, when not deferred).
    const noteInFlight = () => {
      if (deferred) dedupe.inFlight(job.id, job.client)
    }
    if (admission.kind === 'queued') {
      noteInFlight()
      if (origin.via === 'direct') job.output.attach(origin.sink)
      job.waited = true
      status(job, 'queued', { queuePosition: admission.position })
      log.info('job queued', { job: job.id.slice(0, 12), position: admission.position })
      return
    }
    // A job that runs at once calls its backend first and tells the client `accepted` right after: each frame
    // written is a syscall, and nothing written before the backend call may add to the time to first token.
    if (origin.via === 'direct') job.output.attach(origin.sink, true)
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
        noteInFlight()
        job.output.accept(sink)
      })
    }
  }

  function start(job: Job) {
    job.state = 'running'
    const p = run(job).finally(() => running.delete(p))
    running.add(p)
  }

  async function run(job: Job): Promise<void> {
    const started = now()
    let processingTimer: ReturnType<typeof setTimeout> | undefined
    const timer = setTimeout(() => {
      job.abortReason ??= 'timeout'
      job.abort.abort()
    }, config.jobTimeoutMs)
    try {
      if (job.expiresAt <= nowSec()) return await end(job, { kind: 'expired' })
      // Listeners of a job that waited learn that it runs now; the others were told so by `accepted` (position 0).
      if (job.waited) job.output.broadcast({ type: 'status', job: job.id, status: 'processing' })
      // The processing status event is signed and published once the first token is out (or after 20 ms
      // without one), so signing and publishing never delay the first token.
      processingTimer = setTimeout(() => sendProcessing(job), 20)
      log.info('job started', { job: job.id.slice(0, 12), model: job.payload.model, via: job.viaRelay ? 'relay' : 'direct' })
      const payload = job.payload
      // Node overhead on the TTFT path, part 1: from the request's arrival to the backend call (not when queued).
      if (job.receivedAt !== undefined && !job.waited) metrics.recordIntake(performance.now() - job.receivedAt)
      const onFirstText = () => sendProcessing(job)
      const { usage, finishReason, ttftMs } =
        payload.v === 3
          ? await runEmbedding({ backend, model: job.model.backendId, payload, signal: job.abort.signal, output: job.output, now, started, onFirstText })
          : await runBackend({
              backend,
              // The job's parameters go to the backend as the payload carries them; the adapter alone translates them.
              request: {
                model: job.model.backendId,
                messages: payload.messages,
                params: job.addedMaxTokens === undefined ? payload.params : { ...payload.params, max_tokens: job.addedMaxTokens },
                ...(payload.continue ? { continueFinal: true } : {}),
              } satisfies ChatRequest,
              signal: job.abort.signal,
              output: job.output,
              metrics,
              now,
              started,
              onFirstText,
            })
      // The deferred signature check ran long before any output (see submit); this only makes the order a rule.
      if (!job.authentic()) return await end(job, { kind: 'forged' })
      await job.output.flushAll()
      const durationMs = now() - started
      const amount = amountDue(usage, config.price)
      const result = await buildJobResult(signer, {
        job: job.id,
        client: job.client,
        model: job.payload.model,
        usage,
        amount,
        output: job.output.output,
        finishReason,
        ttftMs,
        durationMs,
        includeText: job.output.relayUsed || job.payload.transport === 'relay',
        embeddings: job.payload.v === 3,
        now: nowSec(),
      })
      await end(job, { kind: 'success', result, amount, usage, ttftMs, durationMs })
    } catch (err) {
      await end(job, endingOf(err, { abortReason: job.abortReason, authentic: job.authentic, timeoutMs: config.jobTimeoutMs }))
    } finally {
      clearTimeout(timer)
      clearTimeout(processingTimer)
      job.output.close()
      finishJob(job)
    }
  }

  /**
   * The `processing` status event, for jobs whose client reads the relays (relay transport, or a job that came in
   * through a relay): a direct client was told by its `accepted` frame, and nobody else needs the signature
   * (nips/job-status.md, version 2).
   */
  function sendProcessing(job: Job) {
    if (job.processingSent) return
    job.processingSent = true
    if (job.payload.transport === 'relay' || job.viaRelay) status(job, 'processing')
  }

  /**
   * Ends an admitted job as the ending table (endings.ts) says: its last frame, status event, dedupe note, metrics
   * and log line. Synchronous unless there is a payment to settle (a success), which goes before the result frame.
   */
  function end(job: Job, ending: JobEnding): void | Promise<void> {
    const plan = planEnding(ending, job.state === 'queued' ? 'queued' : 'running')
    if (plan.processingFirst) sendProcessing(job)
    job.state = 'ended'
    if (plan.flushOutput) job.output.flushDirect()
    const announce = () => {
      job.output.broadcast({ ...plan.frame, job: job.id }, { end: true, announce: plan.announce })
      if (plan.frame.type === 'result') publish(plan.frame.event)
      const bookkeeping = () => {
        if (plan.status) status(job, plan.status.name, plan.status.content)
        if (plan.releaseClaim) dedupe.release(job.id)
        else dedupe.finish(job.id, plan.dedupe)
      }
      if (plan.deferBookkeeping) later(bookkeeping)
      else bookkeeping()
      if (plan.metrics.kind === 'completed') metrics.record({ ttftMs: plan.metrics.ttftMs, completionTokens: plan.metrics.completionTokens, durationMs: plan.metrics.durationMs })
      else if (plan.metrics.kind === 'failure') metrics.recordFailure()
      log[plan.log.level](plan.log.message, { job: job.id.slice(0, 12), ...plan.log.fields })
    }
    if (plan.settle === undefined) return announce()
    // What the job is due is recorded before the client can see the result: its receipt may come back at once,
    // and a node killed between the two would otherwise never accept that receipt.
    return payment
      .settle(job.client, job.id, plan.settle)
      .catch((err: Error) => log.warn('settle failed', { job: job.id.slice(0, 12), error: err.message }))
      .then(announce)
  }

  function finishJob(job: Job) {
    job.state = 'ended'
    jobs.delete(job.id)
    payment.release(job.client, job.id)
    job.markFinished()
    for (const next of scheduler.release(job.id)) start(next)
  }

  /** Stops a live job whose signature failed; its ending gives the id back (endings.ts, `forged`). */
  function stopForged(job: Job) {
    if (job.state === 'ended') return
    job.abortReason = 'forged'
    if (job.state === 'queued') {
      void end(job, { kind: 'forged' })
      finishJob(job)
    } else job.abort.abort()
  }

  function cancelJob(job: Job, reason: 'cancelled' | 'shutdown') {
    if (job.state === 'queued') {
      job.abortReason = reason
      void end(job, { kind: reason })
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
      if (!job || !job.output.detach(sink)) return
      if (job.output.listeners === 0 && !job.viaRelay && job.state !== 'ended') {
        log.info('client went away, stopping job', { job: jobId.slice(0, 12) })
        cancelJob(job, 'cancelled')
      }
    },
    async reportInterrupted() {
      for (const job of interrupted) {
        const message = 'the node stopped during the job (it was restarted)'
        await buildJobStatus(signer, { job: job.id, client: job.client, status: 'error', content: { code: 'internal', message }, now: nowSec() }).then(publish, (err: Error) =>
          log.warn('cannot build status event', { job: job.id.slice(0, 12), error: err.message }),
        )
        dedupe.finish(job.id, 'internal')
        log.info('job interrupted by the last stop, error status published', { job: job.id.slice(0, 12) })
      }
      const n = interrupted.length
      interrupted.length = 0
      return n
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
      await deferredTasks.drain()
    },
  }
}
