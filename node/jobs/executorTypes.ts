// The executor's contract: its configuration and dependencies, the live job record it keeps, and the interface
// the daemon and the stream server call. Kept apart from executor.ts, which is the behaviour.
import type { Logger } from '../../src/log.ts'
import type { ModelFeature } from '../../src/protocol/features.ts'
import type { NostrEvent } from '../../src/protocol/event.ts'
import type { JobPayload } from '../../src/protocol/jobRequest.ts'
import type { Price } from '../../src/protocol/schema.ts'
import type { EventVerifier } from '../../src/protocol/verify.ts'
import type { Signer } from '../../src/signer.ts'
import type { Backend, ModelInfo } from '../backends/types.ts'
import type { RollingMetrics } from '../metrics.ts'
import type { PaymentGate } from '../paymentGate.ts'
import type { DedupeStore } from './dedupeStore.ts'
import type { AbortReason } from './endings.ts'
import type { JobOutput, JobSink } from './output.ts'

export type ExecutorConfig = {
  price: Price
  maxConcurrency: number
  maxQueue: number
  maxPromptBytes: number
  jobTimeoutMs: number
  relayChunkMs: number
  /** Direct channel: later deltas are batched into one chunk frame per this many ms (0 = per event-loop turn). */
  streamFlushMs?: number | undefined
  /** Features the operator declares for every model (INFERNET_FEATURES): jobs are admitted by what the capability announces. */
  features?: readonly ModelFeature[] | undefined
  /** Served model ids; empty = whatever the backend resolves. */
  models: string[]
  /**
   * Priced nodes: completion tokens of a job that names no max_tokens (it is sent to the backend as max_tokens), so
   * every job has a worst-case cost to count against the payer's credit (default 4096).
   */
  maxOutputTokens?: number | undefined
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
  /** Id and signature checks (the daemon's libsecp256k1 verifier; `defaultEventVerifier` when absent). */
  verify?: EventVerifier | undefined
}

export type Job = {
  id: string
  client: string
  expiresAt: number
  payload: JobPayload
  model: ModelInfo
  output: JobOutput
  /** Asked through a relay too: it keeps running when its last direct listener goes away. */
  viaRelay: boolean
  abort: AbortController
  abortReason: AbortReason | undefined
  state: 'queued' | 'running' | 'ended'
  processingSent: boolean
  receivedAt: number | undefined
  /** Waited in the queue (its intake time then says nothing about the node's overhead). */
  waited: boolean
  /** Whether the job event's signature verifies; checked on the first ask when the check was deferred (see submit). */
  authentic: () => boolean
  /** Settles once the job is ended and gone from the live jobs. */
  finished: Promise<void>
  markFinished: () => void
  /** max_tokens the node adds for a priced job that names none (its worst case was counted with it). */
  addedMaxTokens: number | undefined
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
  /**
   * Publishes an `error` status for every job that was in flight when the previous daemon on this dedupe store died
   * without ending it (kill -9, power loss); returns how many. Call once the relays are connected.
   */
  reportInterrupted(): Promise<number>
  stop(): Promise<void>
}
