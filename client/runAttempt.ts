// One job on one node: build the encrypted request, send it over the direct channel (WebSocket) when the node
// announces a reachable stream endpoint, through relays otherwise (or when the socket cannot be opened), and
// turn what comes back into deltas and one outcome. Timeouts: no acceptance within `acceptTimeoutMs`, no
// first token within `firstTokenTimeoutMs` after acceptance, or no progress for `stallTimeoutMs` mid-stream.
// Whatever ends the attempt early, the node is told to cancel, so it never runs a job the client abandoned.
import type { RelayPool, Subscription } from '../src/net/relayPool.ts'
import type { Logger } from '../src/log.ts'
import { buildAuthEvent } from '../src/protocol/auth.ts'
import type { NostrEvent, ValidateOptions, ValidationResult } from '../src/protocol/event.ts'
import { buildJobCancel } from '../src/protocol/jobCancel.ts'
import { buildJobRequest, type JobPayload, type UnsentJobPayload } from '../src/protocol/jobRequest.ts'
import { decryptJobResult, type JobResultContent } from '../src/protocol/jobResult.ts'
import { parseJobStatus } from '../src/protocol/jobStatus.ts'
import { isAuthentic } from '../src/protocol/event.ts'
import * as kinds from '../src/protocol/kinds.ts'
import { chunkCipher, chunkKey, openChunk, type ChunkCipher } from '../src/protocol/chunkCipher.ts'
import { deltaDecrypter, parseStreamChunk } from '../src/protocol/streamChunk.ts'
import { appendDelta, assembleOutput, completingDelta, decodeDelta, fromOutputJson, type StructuredDelta } from '../src/protocol/streamDelta.ts'
import type { NodeFrame } from '../src/protocol/frames.ts'
import type { EventVerifier } from '../src/protocol/verify.ts'
import type { Signer } from '../src/signer.ts'
import type { DirectChannels, DirectConnection } from './directChannel.ts'
import type { MarketNode } from './market.ts'

export type AttemptPhase = 'before-first-token' | 'mid-stream'

export type AttemptOutcome =
  | { ok: true; job: string; transport: 'direct' | 'relay'; text: string; output: StructuredDelta; resultEvent: NostrEvent; resultContent: ValidationResult<JobResultContent> }
  | { ok: false; job: string; transport: 'direct' | 'relay'; text: string; output: StructuredDelta; phase: AttemptPhase; reason: string; code?: string | undefined; cancelled?: boolean | undefined }

export type RunAttemptParameters = {
  signer: Signer
  pool: RelayPool
  channels: DirectChannels
  /** The client's id and signature checks (relay events are checked as they arrive, then parsed). */
  verifier: EventVerifier
  node: MarketNode
  payload: UnsentJobPayload
  acceptTimeoutMs: number
  firstTokenTimeoutMs: number
  stallTimeoutMs: number
  /** Unix seconds for created_at. */
  now: number
  logger: Logger
  /** Each piece of output in order: bare text for a v1 job, the structured delta of a v2 one. */
  onDelta(delta: StructuredDelta): void
  /** Called once the job event is built, before it is sent (lets the caller cancel by job id). */
  onJob?: ((job: string) => void) | undefined
  signal?: AbortSignal | undefined
}

type Sink = {
  accepted(): void
  chunk(seq: number, delta: StructuredDelta): void
  result(event: NostrEvent): void | Promise<void>
  error(code: string | undefined, message: string): void
}

/** Decrypts and reads one streamed chunk: synchronously with the signer's fast path, else by a promise. */
/** `enc`: the chunk frame's cipher (chunkCipher.ts); absent, NIP-44 under the conversation key. */
type OpenDelta = (payload: string, enc?: ChunkCipher) => StructuredDelta | Promise<StructuredDelta>

export async function runAttempt(p: RunAttemptParameters): Promise<AttemptOutcome> {
  const { signer, node, logger } = p
  let conn: DirectConnection | undefined
  if (node.stream) {
    const candidate = p.channels.get(node.stream)
    try {
      await candidate.open(p.acceptTimeoutMs)
      conn = candidate
    } catch (err) {
      logger.info('direct channel unreachable, using relays', { node: node.pubkey.slice(0, 12), error: (err as Error).message })
    }
  }
  const transport = conn ? 'direct' : 'relay'
  // A signer that holds the conversation key can derive the job's chunk key: ask for sealed chunk frames.
  const conversationKey = signer.conversationKey?.(node.pubkey)
  const payload = { ...p.payload, transport, ...(conversationKey && transport === 'direct' ? { chunks: chunkCipher } : {}) } as JobPayload
  const event = await buildJobRequest(signer, { node: node.pubkey, payload, now: p.now })
  const job = event.id
  p.onJob?.(job)
  const log = logger.child(`[job ${job.slice(0, 12)}]`)
  const decrypt = deltaDecrypter(signer, node.pubkey)
  const structured = p.payload.v === 2
  // A v2 chunk's plaintext is a JSON delta; a v1 chunk's, the text itself (nips/stream.md, "Structured deltas").
  const read = (plaintext: string): StructuredDelta => {
    if (!structured) return { text: plaintext }
    const d = decodeDelta(plaintext)
    if (!d.ok) throw new Error(d.reason)
    return d.delta
  }
  let jobKey: Uint8Array | undefined
  const open: OpenDelta = (payload, enc) => {
    if (enc === chunkCipher && conversationKey) return read(openChunk((jobKey ??= chunkKey(conversationKey, job)), payload))
    const out = decrypt(payload)
    return typeof out === 'string' ? read(out) : out.then(read)
  }

  return new Promise<AttemptOutcome>((resolve) => {
    let text = ''
    const output: StructuredDelta = {}
    let accepted = false
    let gotToken = false
    let settled = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const cleanups: (() => void)[] = []
    // Relay chunks may arrive out of order: buffer by seq and deliver in order.
    const pending = new Map<number, StructuredDelta>()
    let nextSeq = 0
    // Frames and relay events are handled in arrival order, also when a signer decrypts asynchronously.
    const inOrder = serial((err) => fail(`cannot handle the node's output (${(err as Error).message})`))

    const arm = (ms: number, reason: string) => {
      clearTimeout(timer)
      timer = setTimeout(() => fail(reason, undefined, true), ms)
    }
    const finish = (outcome: AttemptOutcome) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      for (const c of cleanups.splice(0)) c()
      resolve(outcome)
    }
    const fail = (reason: string, code?: string, tellNode = false, cancelled = false) => {
      if (settled) return
      if (tellNode) sendCancel()
      finish({ ok: false, job, transport, text, output, phase: gotToken ? 'mid-stream' : 'before-first-token', reason, code, cancelled })
    }
    const deliver = (delta: StructuredDelta) => {
      if (settled || (!delta.text && !delta.reasoning && !delta.tool_calls?.length && !delta.logprobs?.length)) return
      if (!gotToken) {
        gotToken = true
      }
      text += delta.text ?? ''
      appendDelta(output, delta)
      arm(p.stallTimeoutMs, `no output for ${p.stallTimeoutMs} ms mid-stream`)
      p.onDelta(delta)
    }
    const sendCancel = () => {
      if (conn && conn.send({ type: 'cancel', job })) return
      void buildJobCancel(signer, { job, node: node.pubkey, now: p.now })
        .then((ev) => p.pool.publish(ev))
        .catch((err: unknown) => log.debug('cancel not published', { error: (err as Error).message }))
    }

    const sink: Sink = {
      accepted() {
        if (accepted || settled) return
        accepted = true
        if (!gotToken) arm(p.firstTokenTimeoutMs, `no first token within ${p.firstTokenTimeoutMs} ms of acceptance`)
      },
      chunk(seq, delta) {
        sink.accepted()
        if (transport === 'direct') {
          if (seq < nextSeq) return
          nextSeq = seq + 1
          deliver(delta)
          return
        }
        if (seq < nextSeq || pending.has(seq)) return
        pending.set(seq, delta)
        while (pending.has(nextSeq)) {
          const d = pending.get(nextSeq)!
          pending.delete(nextSeq)
          nextSeq++
          deliver(d)
        }
      },
      async result(resultEvent) {
        if (settled) return
        // The encrypted part carries the output hash (result v2), and the whole text for the relay transport.
        const resultContent = await decryptJobResult(resultEvent, signer)
        if (transport === 'relay' && resultEvent.pubkey === node.pubkey) {
          // Chunks through relays can be lost; the relay-transport result carries the whole text.
          if (structured) {
            const full = resultContent.ok ? resultContent.data.structured : undefined
            const rest = full ? completingDelta(assembleOutput([output]), fromOutputJson(full)) : undefined
            if (rest) deliver(rest)
          } else {
            const full = resultContent.ok ? resultContent.data.text : undefined
            if (full !== undefined && full.startsWith(text) && full.length > text.length) deliver({ text: full.slice(text.length) })
          }
        }
        finish({ ok: true, job, transport, text, output, resultEvent, resultContent })
      },
      error(code, message) {
        fail(`node error ${code ?? 'unknown'}: ${message}`, code, false, code === 'cancelled')
      },
    }

    const onAbort = () => fail('cancelled by the caller', 'cancelled', true, true)
    if (p.signal) {
      if (p.signal.aborted) return onAbort()
      p.signal.addEventListener('abort', onAbort, { once: true })
      cleanups.push(() => p.signal!.removeEventListener('abort', onAbort))
    }
    arm(p.acceptTimeoutMs, `not accepted within ${p.acceptTimeoutMs} ms`)

    if (conn) {
      const c = conn
      cleanups.push(
        c.register(job, {
          onFrame: (frame: NodeFrame) => inOrder(() => handleFrame(frame, sink, open, log)),
          onClosed: (reason) => fail(`direct channel closed (${reason})`),
        }),
      )
      const sendJob = (auth?: NostrEvent) => {
        if (settled) return
        if (!c.send(auth ? { type: 'job', event, auth } : { type: 'job', event })) fail('direct channel closed before the job was sent')
      }
      // An authenticated connection needs no auth event per job (nips/stream.md, "Connection auth").
      if (c.authenticatedAs === signer.pubkey) sendJob()
      else void buildAuthEvent(signer, { url: c.url, method: 'WS', payloadHash: job, now: p.now }).then(sendJob)
      return
    }

    const sub: Subscription = p.pool.subscribe([{ kinds: [kinds.StreamChunk, kinds.JobStatus, kinds.JobResult], '#e': [job], authors: [node.pubkey] }], {
      // Some relays over-deliver (e.g. ignore the '#e' filter for ephemeral events): only this job's events count.
      onEvent: (ev) => {
        if (ev.pubkey !== node.pubkey || !ev.tags.some((t) => t[0] === 'e' && t[1] === job)) return
        inOrder(() => handleRelayEvent(ev, sink, open, log, { now: p.now, verify: p.verifier }))
      },
      // A forged copy arriving first from one relay must not hide the genuine one from another.
      verify: (ev) => isAuthentic(ev, p.verifier),
    })
    cleanups.push(() => sub.close())
    p.pool.publish(event).catch((err: unknown) => fail(`no relay took the job (${(err as Error).message.split('\n')[0]})`))
  })
}

/** Runs handlers one after another in arrival order: at once while none is pending, else after those pending. */
function serial(onError: (err: unknown) => void): (work: () => void | Promise<void>) => void {
  let tail: Promise<void> | undefined
  const settle = (p: Promise<void>): void => {
    const t: Promise<void> = p.catch(onError).then(() => {
      if (tail === t) tail = undefined
    })
    tail = t
  }
  return (work) => {
    if (tail) return settle(tail.then(work))
    const r = work()
    if (r) settle(r)
  }
}

/** Decrypts `payload` and hands the delta to `use`, or calls `fail`; a promise only when decryption is async. */
function withDelta(open: OpenDelta, payload: string, use: (delta: StructuredDelta) => void, fail: (err: unknown) => void): void | Promise<void> {
  let out: StructuredDelta | Promise<StructuredDelta>
  try {
    out = open(payload)
  } catch (err) {
    return fail(err)
  }
  return out instanceof Promise ? out.then(use, fail) : use(out)
}

function handleFrame(frame: NodeFrame, sink: Sink, open: OpenDelta, log: Logger): void | Promise<void> {
  switch (frame.type) {
    case 'accepted':
      return sink.accepted()
    case 'chunk':
      return withDelta(
        (payload) => open(payload, frame.enc),
        frame.c,
        (delta) => sink.chunk(frame.seq, delta),
        (err) => sink.error('invalid', err instanceof SyntaxError || !(err instanceof Error) || !/version 2 chunk/.test(err.message) ? 'chunk cannot be decrypted with the node-client key' : err.message),
      )
    case 'result':
      return sink.result(frame.event as NostrEvent)
    case 'error':
      return sink.error(frame.code, frame.message)
    case 'status':
      if (frame.status === 'error' || frame.status === 'cancelled') return sink.error(frame.code ?? frame.status, frame.message ?? frame.status)
      if (frame.status === 'queued' || frame.status === 'processing') return sink.accepted()
      return
    case 'receipt-ack':
      if (!frame.accepted) log.warn('node refused a receipt', { reason: frame.reason })
      return
  }
}

function handleRelayEvent(ev: NostrEvent, sink: Sink, open: OpenDelta, log: Logger, options: ValidateOptions): void | Promise<void> {
  if (ev.kind === kinds.StreamChunk) {
    const parsed = parseStreamChunk(ev, options)
    if (!parsed.ok) return log.debug('dropped chunk', { reason: parsed.reason })
    const seq = parsed.data.seq
    return withDelta(
      open,
      ev.content,
      (delta) => sink.chunk(seq, delta),
      () => log.debug('dropped undecryptable chunk'),
    )
  }
  if (ev.kind === kinds.JobStatus) {
    const parsed = parseJobStatus(ev, options)
    if (!parsed.ok) return
    const s = parsed.data
    if (s.status === 'queued' || s.status === 'processing') return sink.accepted()
    if (s.status === 'error' || s.status === 'cancelled') return sink.error(s.code ?? s.status, s.message ?? s.status)
    return
  }
  if (ev.kind === kinds.JobResult) return sink.result(ev)
}
