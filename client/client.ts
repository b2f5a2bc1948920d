// The Infernet client SDK: discover nodes (relays or a coordinator), route a chat job to the best one, stream
// its tokens, fail over before the first token, resume mid-stream on another node, verify the signed result
// and pay for it with a receipt. Isomorphic: fetch, WebSocket and TextEncoder are globals or injected.
// Behaviour is specified in nips/client.md.
import { parseModelRef } from '../src/protocol/modelDigest.ts'
import { createRelayPool, type RelayPool, type WebSocketConstructor } from '../src/net/relayPool.ts'
import { silentLogger, type Logger } from '../src/log.ts'
import { utf8Length } from '../src/protocol/event.ts'
import type { GenerationParams } from '../src/protocol/generationParams.ts'
import type { ChatMessage } from '../src/protocol/jobRequest.ts'
import { maxJobPayloadBytes } from '../src/protocol/limits.ts'
import { amountDue, isFree } from '../src/protocol/price.ts'
import { buildReceiptEvent } from '../src/protocol/receipt.ts'
import type { Price } from '../src/protocol/schema.ts'
import type { Signer } from '../src/signer.ts'
import { fetchCoordinatorNodes } from './coordinatorSource.ts'
import { DirectChannels } from './directChannel.ts'
import {
  AllCandidatesFailedError,
  BudgetExceededError,
  CancelledError,
  ClientClosedError,
  NoNodeForModelError,
  RequestTooLargeError,
  RequestRejectedError,
  ResultVerificationError,
  StreamInterruptedError,
  type CandidateFailure,
} from './errors.ts'
import { Market, priceFor, summarizeModels, type MarketModel, type MarketNode } from './market.ts'
import type { ReceiptIssuer } from './receipts.ts'
import { eligible, rankCandidates, type NodeRecord, type RoutingPolicy } from './routing.ts'
import { runAttempt } from './runAttempt.ts'
import { verifyResult } from './verifyResult.ts'
import { loadNostrWasm } from '../src/protocol/verify.ts'

export type { ChatMessage, MarketModel, MarketNode, RoutingPolicy, WebSocketConstructor }
export type { Logger } from '../src/log.ts'
export type { Price } from '../src/protocol/schema.ts'
export type { Signer } from '../src/signer.ts'

export type InfernetClientParameters = {
  relays: string[]
  signer: Signer
  /** Candidates from GET {coordinator}/api/v1/nodes?model=M (the signed events are re-verified). */
  coordinator?: string | undefined
  /**
   * Candidates from a source this client trusts as itself, ranked for the routing policy it is asked for by the
   * shared rules (src/routing/): the coordinator that hosts a gateway hands over its own index (it verified every
   * event on ingest), so nothing is re-verified or re-ranked, and its pick (which spreads load over its best nodes)
   * stands. Takes precedence over `coordinator` and relays.
   */
  nodeSource?: NodeSource | undefined
  WebSocket?: WebSocketConstructor | undefined
  fetch?: typeof fetch | undefined
  /** Default 'reliable' (nips/routing.md: its weight table favours measured success). */
  routing?: RoutingPolicy | undefined
  /** Fail over when a node does not accept within this (default 5000 ms). */
  acceptTimeoutMs?: number | undefined
  /** Fail over when no token comes this long after acceptance (default 60000 ms). */
  firstTokenTimeoutMs?: number | undefined
  /** Treat a stream with no output for this long as failed mid-stream (default: firstTokenTimeoutMs). */
  stallTimeoutMs?: number | undefined
  /** Total the client will ever pay in this session (receipts never exceed it). */
  budget?: bigint | undefined
  /** Default bid ceiling per million tokens. */
  maxPrice?: Price | undefined
  /** Continue on another node after a mid-stream failure (default true). */
  resume?: boolean | undefined
  /** Most nodes tried for one request (default 4). */
  maxAttempts?: number | undefined
  /** Signs payment vouchers; without it no receipts are sent (see client/receipts.ts). */
  receipts?: ReceiptIssuer | undefined
  logger?: Logger | undefined
  clock?: (() => number) | undefined
}

/** Nodes for a model, best first for `routing` (absent when listing the market). */
export type NodeSource = (query: { model?: string | undefined; now: number; routing?: RoutingPolicy | undefined }) => MarketNode[] | Promise<MarketNode[]>

export type ChatParameters = {
  model: string
  messages: ChatMessage[]
  /** Generation parameters (OpenAI names; other fields pass through to the node's backend), sent to the node as they are. */
  params?: GenerationParams | undefined
  maxPrice?: Price | undefined
  routing?: RoutingPolicy | undefined
  signal?: AbortSignal | undefined
}

export type ChatJob = {
  id: string
  node: string
  outcome: 'ok' | 'failed-before-first-token' | 'failed-mid-stream'
  reason?: string | undefined
  /** How the job travelled: straight to the node's stream endpoint, or through relays. */
  transport?: 'direct' | 'relay' | undefined
}

export type ChatResult = {
  text: string
  usage: { promptTokens: number; completionTokens: number }
  model: string
  /** Pubkey of the node that finished. */
  node: string
  cost: bigint
  finishReason: string
  ttftMs: number
  jobs: ChatJob[]
  /** True when the stream continued on another node after a mid-stream failure. */
  resumed: boolean
}

export type ChatDelta = { type: 'delta'; text: string }
export type ChatStream = AsyncIterable<ChatDelta> & { result: Promise<ChatResult>; cancel(): void }

/** A push queue read by one async iterator; ends with a value or an error. */
class DeltaQueue {
  #items: string[] = []
  #waiter: (() => void) | undefined
  #done = false
  #error: unknown
  push(text: string): void {
    this.#items.push(text)
    this.#wake()
  }
  end(error?: unknown): void {
    this.#done = true
    this.#error = error
    this.#wake()
  }
  #wake(): void {
    const w = this.#waiter
    this.#waiter = undefined
    w?.()
  }
  async next(): Promise<IteratorResult<ChatDelta>> {
    for (;;) {
      const item = this.#items.shift()
      if (item !== undefined) return { done: false, value: { type: 'delta', text: item } }
      if (this.#done) {
        if (this.#error !== undefined) throw this.#error
        return { done: true, value: undefined }
      }
      await new Promise<void>((resolve) => (this.#waiter = resolve))
    }
  }
}

export class InfernetClient {
  readonly pool: RelayPool
  readonly signer: Signer
  readonly #market: Market
  readonly #channels: DirectChannels
  readonly #p: { routing: RoutingPolicy; acceptTimeoutMs: number; firstTokenTimeoutMs: number; resume: boolean; maxAttempts: number }
  readonly #stallTimeoutMs: number
  readonly #coordinator: string | undefined
  readonly #nodeSource: NodeSource | undefined
  readonly #fetch: typeof fetch
  readonly #budget: bigint | undefined
  readonly #maxPrice: Price | undefined
  readonly #receipts: ReceiptIssuer | undefined
  readonly #logger: Logger
  readonly #clock: () => number
  readonly #history = new Map<string, NodeRecord>()
  readonly #bad = new Set<string>()
  readonly #owed = new Map<string, bigint>()
  readonly #active = new Set<AbortController>()
  #spent = 0n
  #ready: Promise<void> | undefined
  #closed = false

  constructor(params: InfernetClientParameters) {
    const { relays, signer, WebSocket, logger = silentLogger, clock = Date.now } = params
    const ws = WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
    this.signer = signer
    this.#logger = logger.child('[client]')
    this.#clock = clock
    this.pool = createRelayPool({ urls: relays, WebSocket: ws, logger: this.#logger.child('[relays]') })
    this.#market = new Market({ pool: this.pool, clock })
    this.#channels = new DirectChannels({ WebSocket: this.pool.WebSocketImpl, logger: this.#logger.child('[direct]'), signer })
    const acceptTimeoutMs = params.acceptTimeoutMs ?? 5000
    const firstTokenTimeoutMs = params.firstTokenTimeoutMs ?? 60_000
    this.#p = { routing: params.routing ?? 'reliable', acceptTimeoutMs, firstTokenTimeoutMs, resume: params.resume ?? true, maxAttempts: params.maxAttempts ?? 4 }
    this.#stallTimeoutMs = params.stallTimeoutMs ?? firstTokenTimeoutMs
    this.#coordinator = params.coordinator
    this.#nodeSource = params.nodeSource
    this.#fetch = params.fetch ?? globalThis.fetch.bind(globalThis)
    this.#budget = params.budget
    this.#maxPrice = params.maxPrice
    this.#receipts = params.receipts
  }

  /** Relays connected (at least one) and the market loaded (first EOSE from each, or the timeout). */
  ready({ timeoutMs = 5000 }: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#closed) return Promise.reject(new ClientClosedError())
    this.#ready ??= (async () => {
      // libsecp256k1 (WASM) makes every signature check several times cheaper; @noble stays the fallback.
      await loadNostrWasm().catch(() => undefined)
      await this.pool.ready({ timeoutMs })
      await this.#market.load({ timeoutMs })
    })()
    return this.#ready
  }

  /** The live market (from the node source or the coordinator when one is configured, else from relays), live nodes first. */
  async nodes({ model, routing }: { model?: string | undefined; routing?: RoutingPolicy | undefined } = {}): Promise<MarketNode[]> {
    if (this.#closed) throw new ClientClosedError()
    if (this.#nodeSource) return this.#nodeSource({ model, now: this.#nowSeconds(), routing })
    if (this.#coordinator) {
      const { nodes, rejected } = await fetchCoordinatorNodes({ coordinator: this.#coordinator, model, fetch: this.#fetch, now: this.#nowSeconds() })
      for (const r of rejected) this.#logger.warn('coordinator returned an entry that fails verification', { node: r.pubkey.slice(0, 12), reason: r.reason })
      return nodes
    }
    await this.ready()
    return this.#market.nodes({ model })
  }

  /** Models on offer from live nodes: how many nodes serve each, the lowest price, the best tokens/s. */
  async models(): Promise<MarketModel[]> {
    return summarizeModels(await this.nodes())
  }

  /** What this client has paid in this session (sum of all receipts' increments). */
  get spent(): bigint {
    return this.#spent
  }

  /** Nodes excluded for the rest of the session after failing result verification. */
  get badNodes(): ReadonlySet<string> {
    return this.#bad
  }

  chat(params: ChatParameters): ChatStream {
    const queue = new DeltaQueue()
    const controller = new AbortController()
    this.#active.add(controller)
    const onCallerAbort = () => controller.abort()
    if (params.signal) {
      if (params.signal.aborted) controller.abort()
      else params.signal.addEventListener('abort', onCallerAbort, { once: true })
    }
    const result = this.#drive(params, (text) => queue.push(text), controller.signal).then(
      (r) => {
        queue.end()
        return r
      },
      (err: unknown) => {
        queue.end(err)
        throw err
      },
    )
    void result
      .catch(() => {})
      .finally(() => {
        this.#active.delete(controller)
        params.signal?.removeEventListener('abort', onCallerAbort)
      })
    return {
      result,
      cancel: () => controller.abort(),
      [Symbol.asyncIterator]: () => ({
        next: () => queue.next(),
        // Leaving the loop early cancels the job.
        return: async () => {
          controller.abort()
          return { done: true, value: undefined }
        },
      }),
    }
  }

  async complete(params: ChatParameters): Promise<ChatResult> {
    return this.chat(params).result
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const c of this.#active) c.abort()
    this.#market.close()
    this.#channels.closeAll()
    this.pool.close()
  }

  #nowSeconds(): number {
    return Math.floor(this.#clock() / 1000)
  }

  #record(node: string, ok: boolean): void {
    const r = this.#history.get(node) ?? { ok: 0, failed: 0 }
    if (ok) r.ok++
    else r.failed++
    this.#history.set(node, r)
  }

  async #drive(params: ChatParameters, emit: (text: string) => void, signal: AbortSignal): Promise<ChatResult> {
    if (this.#closed) throw new ClientClosedError()
    const started = this.#clock()
    // `tiny-a@sha256:5f0c…` asks for those weights: the node is sent the plain id, routing keeps only nodes that announce them.
    const { id: model, digest } = parseModelRef(params.model)
    const { messages } = params
    const policy = params.routing ?? this.#p.routing
    const maxPrice = params.maxPrice ?? this.#maxPrice
    const promptBytes = utf8Length(JSON.stringify(messages))
    if (promptBytes > maxJobPayloadBytes) throw new RequestTooLargeError({ bytes: promptBytes, limit: maxJobPayloadBytes, model })

    const all = await this.nodes({ model, routing: policy })
    const live = all.filter((n) => n.live)
    if (live.length === 0) {
      const known = this.#coordinator || this.#nodeSource ? [] : summarizeModels(await this.nodes()).map((m) => m.id)
      throw new NoNodeForModelError({ model, known })
    }
    const fitting = live.filter((n) => promptBytes <= n.capability.maxPromptBytes)
    if (fitting.length === 0) throw new RequestTooLargeError({ bytes: promptBytes, limit: Math.max(...live.map((n) => n.capability.maxPromptBytes)), model })
    const now = this.#nowSeconds()
    const candidates = this.#nodeSource
      ? eligible({ nodes: fitting, model, digest, now, maxPrice, bad: this.#bad })
      : rankCandidates({ nodes: fitting, model, digest, policy, now, maxPrice, history: this.#history, bad: this.#bad })
    if (candidates.length === 0) {
      throw new NoNodeForModelError({ model, reason: digest ? `no live node serves ${model} with weights ${digest}` : 'no live node matches the routing policy, the price ceiling, or every match failed verification' })
    }

    let delivered = ''
    let ttftMs: number | undefined
    let budgetError: BudgetExceededError | undefined
    let attempts = 0
    const jobs: ChatJob[] = []
    const failures: CandidateFailure[] = []
    for (const node of candidates) {
      if (attempts >= this.#p.maxAttempts) break
      if (signal.aborted) throw new CancelledError()
      const price = priceFor(node, model)
      const attemptMessages: ChatMessage[] = delivered ? [...messages, { role: 'assistant', content: delivered }] : messages
      const attemptPromptBytes = utf8Length(JSON.stringify(attemptMessages))
      if (this.#budget !== undefined && !isFree(price)) {
        // Worst case: one token per prompt byte, and max_tokens of output (none when unbounded).
        const needed = amountDue({ promptTokens: attemptPromptBytes, completionTokens: params.params?.max_tokens ?? 0 }, price)
        if (this.#spent + needed > this.#budget) {
          budgetError = new BudgetExceededError({ budget: this.#budget, spent: this.#spent, needed })
          failures.push({ node: node.pubkey, reason: `could cost ${needed}, over the remaining budget` })
          continue
        }
      }
      attempts++
      let jobId = ''
      const outcome = await runAttempt({
        signer: this.signer,
        pool: this.pool,
        channels: this.#channels,
        node,
        payload: {
          v: 1,
          model,
          messages: attemptMessages,
          params: params.params ?? {},
          bid: maxPrice ?? price,
          ...(delivered ? { continue: true } : {}),
        },
        acceptTimeoutMs: this.#p.acceptTimeoutMs,
        firstTokenTimeoutMs: this.#p.firstTokenTimeoutMs,
        stallTimeoutMs: this.#stallTimeoutMs,
        now: this.#nowSeconds(),
        logger: this.#logger,
        signal,
        onJob: (id) => (jobId = id),
        onDelta: (text) => {
          ttftMs ??= this.#clock() - started
          emit(text)
        },
      })
      jobId = outcome.job
      if (!outcome.ok) {
        const outcomeName = outcome.phase === 'mid-stream' ? 'failed-mid-stream' : 'failed-before-first-token'
        jobs.push({ id: jobId, node: node.pubkey, outcome: outcomeName, reason: outcome.reason, transport: outcome.transport })
        if (outcome.cancelled && signal.aborted) throw new CancelledError({ job: jobId })
        if (outcome.code === 'too-large' || outcome.code === 'bad-payload') {
          throw new RequestRejectedError({ node: node.pubkey, reason: outcome.code, message: outcome.reason.replace(/^node error [a-z-]+: /, ''), model })
        }
        this.#record(node.pubkey, false)
        failures.push({ node: node.pubkey, reason: outcome.reason })
        this.#logger.info('node failed, trying the next one', { node: node.pubkey.slice(0, 12), job: jobId.slice(0, 12), phase: outcome.phase, code: outcome.code })
        delivered += outcome.text
        if (delivered && !this.#p.resume) {
          throw new StreamInterruptedError({ node: node.pubkey, reason: outcome.reason, deliveredChars: delivered.length, resume: false })
        }
        continue
      }

      const verified = verifyResult({
        event: outcome.resultEvent,
        node: node.pubkey,
        job: jobId,
        client: this.signer.pubkey,
        model,
        text: outcome.text,
        price,
        promptBytes: attemptPromptBytes,
        now: this.#nowSeconds(),
      })
      if (!verified.ok) {
        this.#bad.add(node.pubkey)
        this.#record(node.pubkey, false)
        this.#logger.warn('result failed verification; node not paid and excluded', { node: node.pubkey.slice(0, 12), job: jobId.slice(0, 12), reason: verified.reason })
        throw new ResultVerificationError({ node: node.pubkey, job: jobId, reason: verified.reason })
      }
      this.#record(node.pubkey, true)
      jobs.push({ id: jobId, node: node.pubkey, outcome: 'ok', transport: outcome.transport })
      const r = verified.result
      const cost = await this.#pay(node, jobId, r.amount)
      if (cost < r.amount) throw new BudgetExceededError({ budget: this.#budget ?? 0n, spent: this.#spent - cost, needed: r.amount })
      return {
        text: delivered + outcome.text,
        usage: r.usage,
        model,
        node: node.pubkey,
        cost,
        finishReason: r.finishReason,
        ttftMs: ttftMs ?? this.#clock() - started,
        jobs,
        resumed: delivered.length > 0,
      }
    }
    if (attempts === 0 && budgetError) throw budgetError
    if (delivered) {
      const last = failures[failures.length - 1]
      throw new StreamInterruptedError({ node: last?.node ?? '?', reason: last?.reason ?? 'no node left to continue', deliveredChars: delivered.length, resume: true })
    }
    throw new AllCandidatesFailedError({ model, failures })
  }

  /** Accounts the amount (capped by the budget) and sends the cumulative receipt; returns what was paid. */
  async #pay(node: MarketNode, job: string, amount: bigint): Promise<bigint> {
    if (amount === 0n) return 0n
    const remaining = this.#budget === undefined ? amount : this.#budget - this.#spent
    const paid = amount > remaining ? remaining : amount
    if (paid <= 0n) return 0n
    this.#spent += paid
    const cumulative = (this.#owed.get(node.pubkey) ?? 0n) + paid
    this.#owed.set(node.pubkey, cumulative)
    if (!this.#receipts) {
      this.#logger.debug('no receipt issuer configured; receipt not sent', { node: node.pubkey.slice(0, 12) })
      return paid
    }
    try {
      const voucher = await this.#receipts.issue({ node: node.pubkey, job, amount: paid, cumulative, payment: node.capability.payment })
      if (!voucher) return paid
      const event = await buildReceiptEvent(this.signer, { node: node.pubkey, job, voucher, now: this.#nowSeconds() })
      if (node.stream) this.#channels.peek(node.stream)?.send({ type: 'receipt', event })
      await this.pool.publish(event).catch((err: unknown) => this.#logger.warn('receipt not published to relays', { error: (err as Error).message.split('\n')[0] }))
    } catch (err) {
      this.#logger.warn('could not issue a receipt', { node: node.pubkey.slice(0, 12), error: (err as Error).message.split('\n')[0] })
    }
    return paid
  }
}

export function createInfernetClient(params: InfernetClientParameters): InfernetClient {
  return new InfernetClient(params)
}
