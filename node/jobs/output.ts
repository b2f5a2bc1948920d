// The output side of one job: its direct-channel listeners (sinks), each with its own chunk sequence and its
// `accepted` frame; the batching of backend deltas into encrypted chunk frames; the replay a listener that joins
// late gets; and the relay transport's signed chunk events. It knows nothing of admission, payment or endings:
// the executor pushes deltas in and says when to flush and what the last frame is. A v1 job's chunks carry bare
// text (reasoning dropped, as a text-only stream must); a v2 job's carry structured deltas (src/protocol/streamDelta.ts).
import type { Logger } from '../../src/log.ts'
import type { NostrEvent } from '../../src/protocol/event.ts'
import type { NodeFrame } from '../../src/protocol/frames.ts'
import { chunkKey, sealChunk, type ChunkCipher } from '../../src/protocol/chunkCipher.ts'
import { buildStreamChunk, encryptDelta } from '../../src/protocol/streamChunk.ts'
import { appendDelta, assembleOutput, encodeDelta, isEmptyDelta, type StructuredDelta, type StructuredOutput } from '../../src/protocol/streamDelta.ts'
import type { Signer } from '../../src/signer.ts'

/** One direct-channel listener (a WebSocket connection's view of one job, or one SSE response). */
export type JobSink = {
  send(frame: NodeFrame): void
  /** Called once when the job is over for this sink (SSE ends its response). */
  end?: (() => void) | undefined
}

/** What every job's output shares: the node's signer and relay link, and the batching intervals. */
export type OutputContext = {
  /**
   * The node's signer. With the local signer's conversation-key fast path, chunk frames are encrypted and written at
   * once (the TTFT path); a signer without it (remote) encrypts through `nip44`, and frames then queue in order.
   */
  signer: Signer
  /** Sends an ephemeral event (chunk) to the relays, fire-and-forget. */
  sendEphemeral: (event: NostrEvent) => void
  /** Relay chunk events: later deltas are batched into one event per this many ms. */
  relayChunkMs: number
  /** Direct channel: later deltas are batched into one chunk frame per this many ms (0 = per event-loop turn). */
  flushMs: number
  nowSec: () => number
  logger: Logger
}

export type JobOutputParameters = {
  id: string
  client: string
  /** 'relay': the client asked for chunk events; they also go out while no direct listener is attached. */
  transport: 'direct' | 'relay'
  /** A v2 job: chunks carry structured deltas as JSON. */
  structured?: boolean | undefined
  /** The client asked for chunk frames sealed under the job key (src/protocol/chunkCipher.ts). */
  chunkCipher?: ChunkCipher | undefined
  /** The position an `accepted` frame reports (0 once the job runs). */
  queuePosition: () => number
}

/** Per listener: the next chunk seq, and whether it was told `accepted` (always its first frame for the job). */
type SinkState = { seq: number; accepted: boolean }

export class JobOutput {
  readonly #ctx: OutputContext
  readonly #job: JobOutputParameters
  readonly #sinks = new Map<JobSink, SinkState>()
  /** Everything the backend produced so far, merged into one delta. */
  #all: StructuredDelta = {}
  /** Everything but #pending: what a listener that joins now is sent first (the replay). */
  #sent: StructuredDelta = {}
  /** The tail of #all not yet sent to the direct listeners. */
  #pending: StructuredDelta = {}
  #flushScheduled = false
  #relayPending: StructuredDelta = {}
  #relaySeq = 0
  #relayTimer: ReturnType<typeof setTimeout> | undefined
  #relayUsed = false
  /** Relay chunks are chained so they leave in order even though signing is async. */
  #relayChain: Promise<void> = Promise.resolve()
  /** The job's chunk key, derived on the first sealed frame. */
  #chunkKey: Uint8Array | undefined
  /** Direct frames waiting their turn; set once a chunk had to be encrypted by a promise (no fast path). */
  #outbox: Promise<void> | undefined

  constructor(ctx: OutputContext, job: JobOutputParameters) {
    this.#ctx = ctx
    this.#job = job
  }

  /** The text the backend produced so far. */
  get text(): string {
    return this.#all.text ?? ''
  }

  /** What the result's hash covers: the text of a v1 job, the assembled output of a v2 job. */
  get output(): string | StructuredOutput {
    return this.#job.structured ? assembleOutput([this.#all]) : this.text
  }

  /** A chunk's plaintext for `d`: bare text for v1, the JSON delta for v2. */
  #plaintext(d: StructuredDelta): string {
    return this.#job.structured ? encodeDelta(d) : (d.text ?? '')
  }

  get listeners(): number {
    return this.#sinks.size
  }

  /** Whether some of the output went out as relay chunk events (the result then carries the text). */
  get relayUsed(): boolean {
    return this.#relayUsed
  }

  /**
   * Adds a listener. `deferAccepted`: its `accepted` frame may wait until another frame goes to it (or `accept`).
   * A listener that joins late first gets everything streamed so far, so its output hash still matches.
   */
  attach(sink: JobSink, deferAccepted = false): void {
    const state: SinkState = { seq: 0, accepted: false }
    this.#sinks.set(sink, state)
    if (!deferAccepted) this.#accept(sink, state)
    if (!isEmptyDelta(this.#sent)) {
      this.#accept(sink, state)
      this.#emit(this.#plaintext(this.#sent), [[sink, state]], (target, c, _state, enc) => target.send({ type: 'chunk', job: this.#job.id, seq: state.seq++, c, ...enc }))
    }
  }

  /** Sends the deferred `accepted` frame to a listener that is still attached and has not had it. */
  accept(sink: JobSink): void {
    const state = this.#sinks.get(sink)
    if (state) this.#accept(sink, state)
  }

  /** Removes a listener; returns whether it was attached. */
  detach(sink: JobSink): boolean {
    return this.#sinks.delete(sink)
  }

  /**
   * Appends a delta from the backend; returns whether it was the first output. The first token goes out at once;
   * later ones are batched (one encryption and one frame per batch), which bounds the node's work per stream
   * whatever the backend's token rate. A v1 job keeps only the text.
   */
  push(input: StructuredDelta): boolean {
    const delta = this.#job.structured ? input : input.text ? { text: input.text } : {}
    if (isEmptyDelta(delta)) return false
    if (this.#job.transport === 'relay' || this.#sinks.size === 0) {
      // Relay output covers everything from the first token, so a late direct listener is not needed.
      appendDelta(this.#relayPending, delta)
      if (!this.#relayUsed && this.#relaySeq === 0) void this.#flushRelay()
      else if (!this.#relayTimer) this.#relayTimer = setTimeout(() => void this.#flushRelay(), this.#ctx.relayChunkMs)
    }
    const first = isEmptyDelta(this.#all)
    appendDelta(this.#all, delta)
    if (this.#sinks.size > 0) {
      appendDelta(this.#pending, delta)
      if (first) this.flushDirect()
      else if (!this.#flushScheduled) {
        this.#flushScheduled = true
        if (this.#ctx.flushMs > 0) setTimeout(() => this.flushDirect(), this.#ctx.flushMs)
        else setImmediate(() => this.flushDirect())
      }
    } else appendDelta(this.#sent, delta)
    return first
  }

  /** Sends the batched text to the direct listeners now. */
  flushDirect(): void {
    this.#flushScheduled = false
    if (isEmptyDelta(this.#pending)) return
    const delta = this.#pending
    this.#pending = {}
    appendDelta(this.#sent, delta)
    if (this.#sinks.size === 0) return
    this.#emit(this.#plaintext(delta), [...this.#sinks], (sink, c, state, enc) => {
      this.#accept(sink, state)
      sink.send({ type: 'chunk', job: this.#job.id, seq: state.seq++, c, ...enc })
    })
  }

  /** Sends everything batched on both transports; resolves once the relay's chunk events are out. */
  async flushAll(): Promise<void> {
    this.flushDirect()
    if (!isEmptyDelta(this.#relayPending) || this.#relayUsed) await this.#flushRelay()
  }

  /**
   * One frame to every listener, then, with `end`, the end of the job for each. `announce` (default true) tells a
   * listener `accepted` first when it was not yet; a forged job's listeners get its error alone.
   */
  broadcast(frame: NodeFrame, { end = false, announce = true }: { end?: boolean; announce?: boolean } = {}): void {
    this.#emit(undefined, [...this.#sinks], (sink, _c, state) => {
      if (announce) this.#accept(sink, state)
      sink.send(frame)
      if (end) sink.end?.()
    })
  }

  /** Stops the relay batching timer (what it held is dropped: the job is over). */
  close(): void {
    if (this.#relayTimer) clearTimeout(this.#relayTimer)
    this.#relayTimer = undefined
  }

  #accept(sink: JobSink, state: SinkState): void {
    if (state.accepted) return
    state.accepted = true
    sink.send({ type: 'accepted', job: this.#job.id, queuePosition: this.#job.queuePosition() })
  }

  /**
   * Writes to the listeners in `to` that are still attached, with the ciphertext of `text` when one is given: at
   * once with the signer's conversation-key fast path, else once `nip44.encrypt` answers and after every write
   * queued before it, so each listener still gets its frames in order.
   */
  #emit(text: string | undefined, to: [JobSink, SinkState][], write: (sink: JobSink, c: string, state: SinkState, enc: { enc?: ChunkCipher }) => void): void {
    const deliver = (c: string, enc: { enc?: ChunkCipher } = {}) => {
      for (const [sink, state] of to) if (this.#sinks.has(sink)) write(sink, c, state, enc)
    }
    const { signer, logger } = this.#ctx
    if (!this.#outbox) {
      if (text === undefined) return deliver('')
      const key = signer.conversationKey?.(this.#job.client)
      if (key && this.#job.chunkCipher) return deliver(sealChunk((this.#chunkKey ??= chunkKey(key, this.#job.id)), text), { enc: this.#job.chunkCipher })
      if (key) return deliver(encryptDelta(key, text))
      this.#outbox = Promise.resolve()
    }
    this.#outbox = this.#outbox
      .then(async () => deliver(text === undefined ? '' : await signer.nip44.encrypt(this.#job.client, text)))
      .catch((err: Error) => logger.warn('cannot write to a direct listener', { job: this.#job.id.slice(0, 12), error: err.message }))
  }

  #flushRelay(): Promise<void> {
    this.close()
    if (isEmptyDelta(this.#relayPending)) return this.#relayChain
    const text = this.#plaintext(this.#relayPending)
    this.#relayPending = {}
    const seq = this.#relaySeq++
    this.#relayUsed = true
    const { signer, sendEphemeral, nowSec, logger } = this.#ctx
    const { id, client } = this.#job
    this.#relayChain = this.#relayChain.then(() =>
      buildStreamChunk(signer, { job: id, client, seq, text, now: nowSec() }).then(sendEphemeral, (err: Error) =>
        logger.warn('cannot build chunk event', { job: id.slice(0, 12), error: err.message }),
      ),
    )
    return this.#relayChain
  }
}
