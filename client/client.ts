// The Infernet client SDK: discover nodes (relays or a coordinator), route a chat job to the best one, stream
// its tokens, fail over before the first token, resume mid-stream on another node, verify the signed result
// and pay for it with a receipt, sent again while the node has not acknowledged it. Isomorphic: fetch, WebSocket and TextEncoder are globals or injected.
// Behaviour is specified in nips/client.md.
import { createRelayPool, type RelayPool, type WebSocketConstructor } from '../src/net/relayPool.ts'
import { redactUrl } from '../src/errors/base.ts'
import { silentLogger, type Logger } from '../src/log.ts'
import type { ModelFeature } from '../src/protocol/features.ts'
import type { ChatMessage } from '../src/protocol/jobRequest.ts'
import type { Price } from '../src/protocol/schema.ts'
import { createEventVerifier, loadWasmEventVerifier, type EventVerifier } from '../src/protocol/verify.ts'
import type { Signer } from '../src/signer.ts'
import { chat, type ChatClient, type ChatConfig, type ChatParameters, type ChatResult } from './actions/chat.ts'
import { createChatStream, type ChatStream } from './chatStream.ts'
import { embed, type EmbedParameters, type EmbedReturnType } from './actions/embed.ts'
import { fetchCoordinatorNodes } from './coordinatorSource.ts'
import { DirectChannels } from './directChannel.ts'
import { ClientClosedError, RelaysUnreachableError } from './errors.ts'
import { Market, summarizeModels, type MarketModel, type MarketNode } from './market.ts'
import { createReceiptOutbox, isRetryableRefusal, type OutboxEntry, type ReceiptAck } from './payments/receiptOutbox.ts'
import type { ReceiptIssuer } from './receipts.ts'
import type { RoutingPolicy } from './routing.ts'
import { createSession } from './session.ts'

export type { ChatMessage, MarketModel, MarketNode, RoutingPolicy, WebSocketConstructor }
export type { ChatErrorType, ChatJob, ChatParameters, ChatResult, ChatReturnType } from './actions/chat.ts'
export type { ChatDelta, ChatStream } from './chatStream.ts'
export type { EmbedErrorType, EmbedParameters, EmbedReturnType } from './actions/embed.ts'
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
  /**
   * Auditors (hex pubkeys) whose audit verdicts this client counts (nips/reputation.md): a node failing their audits
   * on a model gets no job for it. Default none. A coordinator's own auditor is its signing key.
   */
  trustedAuditors?: readonly string[] | undefined
  /**
   * How long a node whose result failed verification stays excluded: 'session' (default) for the rest of this
   * client's session; 'request' only for the request it failed (the request then ends with the error). A gateway
   * is one client for many callers, and its one session must not let one caller's request take a node out of
   * routing for everyone: it uses 'request', and the signed rejection every refusal publishes is what the
   * coordinator's reputation counts against the node, for all clients at once (nips/result-rejection.md).
   */
  excludeFailedNodes?: 'session' | 'request' | undefined
  /** Signs payment vouchers; without it no receipts are sent (see client/receipts.ts). */
  receipts?: ReceiptIssuer | undefined
  /** Each node's answer to a receipt sent over its direct channel (the SDK sends a refused one again when the node could not check it). */
  onReceiptAck?: ((ack: ReceiptAck & { node: string }) => void) | undefined
  /** First pause before a receipt refused `chain-unavailable` is sent again, in ms (doubling, up to 30 s; 8 tries). Default 1000. */
  receiptRetryMs?: number | undefined
  /**
   * Id and signature checks for what this client receives, with its memory of what passed (nothing is shared with
   * other clients in the process). Default: @noble/curves, then libsecp256k1 (WASM) once `ready()` has loaded it.
   */
  verifier?: EventVerifier | undefined
  logger?: Logger | undefined
  clock?: (() => number) | undefined
}

/** Nodes for a model, best first for `routing` (absent when listing the market). */
export type NodeSource = (query: { model?: string | undefined; now: number; routing?: RoutingPolicy | undefined; features?: readonly ModelFeature[] | undefined }) => MarketNode[] | Promise<MarketNode[]>

export class InfernetClient {
  readonly pool: RelayPool
  readonly signer: Signer
  readonly #market: Market
  readonly #channels: DirectChannels
  readonly #config: ChatConfig
  readonly #coordinator: string | undefined
  readonly #nodeSource: NodeSource | undefined
  readonly #fetch: typeof fetch
  readonly #receipts: ReceiptIssuer | undefined
  readonly #logger: Logger
  readonly #clock: () => number
  readonly #session = createSession()
  readonly #outbox = createReceiptOutbox()
  readonly #onReceiptAck: InfernetClientParameters['onReceiptAck']
  readonly #receiptRetryMs: number
  readonly #resendTimers = new Map<string, ReturnType<typeof setTimeout>>()
  readonly #active = new Set<AbortController>()
  #verifier: EventVerifier
  readonly #verifierGiven: boolean
  #ready: Promise<void> | undefined
  #verifierLoaded: Promise<void> | undefined
  #closed = false

  constructor(params: InfernetClientParameters) {
    const { relays, signer, WebSocket, logger = silentLogger, clock = Date.now } = params
    const ws = WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
    this.signer = signer
    this.#logger = logger.child('[client]')
    this.#clock = clock
    this.pool = createRelayPool({ urls: relays, WebSocket: ws, logger: this.#logger.child('[relays]') })
    this.#market = new Market({ pool: this.pool, clock, verifier: () => this.#verifier, trustedAuditors: params.trustedAuditors })
    this.#channels = new DirectChannels({ WebSocket: this.pool.WebSocketImpl, logger: this.#logger.child('[direct]'), signer, onReceiptAck: (ack) => this.#receiptAcked(ack) })
    this.#onReceiptAck = params.onReceiptAck
    this.#receiptRetryMs = params.receiptRetryMs ?? 1000
    const firstTokenTimeoutMs = params.firstTokenTimeoutMs ?? 60_000
    this.#config = {
      routing: params.routing ?? 'reliable',
      acceptTimeoutMs: params.acceptTimeoutMs ?? 5000,
      firstTokenTimeoutMs,
      stallTimeoutMs: params.stallTimeoutMs ?? firstTokenTimeoutMs,
      resume: params.resume ?? true,
      maxAttempts: params.maxAttempts ?? 4,
      budget: params.budget,
      maxPrice: params.maxPrice,
      excludeFailedNodes: params.excludeFailedNodes ?? 'session',
    }
    this.#coordinator = params.coordinator
    this.#nodeSource = params.nodeSource
    this.#fetch = params.fetch ?? globalThis.fetch.bind(globalThis)
    this.#receipts = params.receipts
    this.#verifier = params.verifier ?? createEventVerifier()
    this.#verifierGiven = params.verifier !== undefined
  }

  /** Relays connected (at least one) and the market loaded (first EOSE from each, or the timeout). */
  ready({ timeoutMs = 5000 }: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#closed) return Promise.reject(new ClientClosedError())
    this.#ready ??= (async () => {
      await this.#loadVerifier()
      const connected = await this.pool.ready({ timeoutMs })
      const down = this.pool.status().filter((r) => !r.connected)
      // Without a node source or coordinator the relays are the market: none reachable is an error, not an empty market.
      if (connected === 0 && !this.#nodeSource && !this.#coordinator) throw new RelaysUnreachableError({ relays: down, timeoutMs })
      for (const r of down) this.#logger.warn('relay unreachable', { relay: redactUrl(r.url), error: r.error ?? 'no answer' })
      await this.#market.load({ timeoutMs })
    })().catch((err: unknown) => {
      // A later call tries again: relays that were down may be up by then.
      this.#ready = undefined
      throw err
    })
    return this.#ready
  }

  /** libsecp256k1 (WASM) makes every signature check several times cheaper; @noble stays the fallback. Loaded once,
   * before the first market read, whichever source the market comes from. */
  #loadVerifier(): Promise<void> {
    this.#verifierLoaded ??= this.#verifierGiven
      ? Promise.resolve()
      : loadWasmEventVerifier().then(
          (v) => void (this.#verifier = v),
          () => {},
        )
    return this.#verifierLoaded
  }

  /** The live market (from the node source or the coordinator when one is configured, else from relays), live nodes first. */
  async nodes({ model, routing, features }: { model?: string | undefined; routing?: RoutingPolicy | undefined; features?: readonly ModelFeature[] | undefined } = {}): Promise<MarketNode[]> {
    if (this.#closed) throw new ClientClosedError()
    await this.#loadVerifier()
    // A node source ranks for the features too (a coordinator's best few might otherwise all lack them); other sources are filtered by the chat action.
    if (this.#nodeSource) return this.#nodeSource({ model, now: this.#nowSeconds(), routing, ...(features?.length ? { features } : {}) })
    if (this.#coordinator) {
      const { nodes, rejected } = await fetchCoordinatorNodes({ coordinator: this.#coordinator, model, fetch: this.#fetch, now: this.#nowSeconds(), verifier: this.#verifier })
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
    return this.#session.spent
  }

  /** The newest receipt sent to each node that it has not acknowledged (yet), with its last refusal. */
  get unacknowledgedReceipts(): { node: string; job: string; reason?: string | undefined }[] {
    return this.#outbox.unacknowledged().map(({ node, job, reason }) => ({ node, job, reason }))
  }

  /**
   * Sends every unacknowledged newest receipt again, over the node's open direct channel and through the relays.
   * It covers the ones before it, so this is all a node needs to catch up. Returns how many were sent.
   */
  async resendReceipts(): Promise<number> {
    const pending = this.#outbox.unacknowledged()
    await Promise.all(pending.map((entry) => this.#resend(entry)))
    return pending.length
  }

  async #resend(entry: OutboxEntry): Promise<void> {
    entry.resent++
    if (entry.stream) this.#channels.peek(entry.stream)?.send({ type: 'receipt', event: entry.event })
    await this.pool.publish(entry.event).catch((err: unknown) => this.#logger.debug('receipt not published to relays again', { error: (err as Error).message.split('\n')[0] }))
  }

  #receiptAcked(ack: ReceiptAck): void {
    const entry = this.#outbox.ack(ack)
    if (!entry) return
    this.#onReceiptAck?.({ ...ack, node: entry.node })
    const timer = this.#resendTimers.get(entry.node)
    if (timer) clearTimeout(timer)
    this.#resendTimers.delete(entry.node)
    if (entry.acked) return
    this.#logger.warn('node refused a receipt', { node: entry.node.slice(0, 12), reason: ack.reason })
    // The node could not check it (its chain RPC is down): send the same receipt again later, a few times.
    if (!isRetryableRefusal(ack.reason) || entry.resent >= 8 || this.#closed) return
    const t = setTimeout(() => {
      this.#resendTimers.delete(entry.node)
      // Only while it is still the newest unacknowledged one: a later receipt covers it.
      if (!this.#closed && this.#outbox.unacknowledged().includes(entry)) void this.#resend(entry)
    }, Math.min(this.#receiptRetryMs * 2 ** entry.resent, 30_000))
    t.unref?.()
    this.#resendTimers.set(entry.node, t)
  }

  /** Nodes excluded for the rest of the session after failing result verification. */
  get badNodes(): ReadonlySet<string> {
    return this.#session.bad
  }

  chat(params: ChatParameters): ChatStream {
    return createChatStream({
      run: (onDelta, signal) => chat(this.#chatClient(), { ...params, onDelta, signal }),
      signal: params.signal,
      track: (controller) => {
        this.#active.add(controller)
        return () => this.#active.delete(controller)
      },
    })
  }

  async complete(params: ChatParameters): Promise<ChatResult> {
    return this.chat(params).result
  }

  /** Embeds texts on a node whose model announces `embeddings` (nips/embeddings.md); the vectors are verified against the node's signed result. */
  async embed(params: EmbedParameters): Promise<EmbedReturnType> {
    const controller = new AbortController()
    const onAbort = () => controller.abort()
    params.signal?.addEventListener('abort', onAbort, { once: true })
    if (params.signal?.aborted) controller.abort()
    this.#active.add(controller)
    try {
      return await embed(this.#chatClient(), { ...params, signal: controller.signal })
    } finally {
      this.#active.delete(controller)
      params.signal?.removeEventListener('abort', onAbort)
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const t of this.#resendTimers.values()) clearTimeout(t)
    this.#resendTimers.clear()
    for (const c of this.#active) c.abort()
    this.#market.close()
    this.#channels.closeAll()
    this.pool.close()
  }

  #nowSeconds(): number {
    return Math.floor(this.#clock() / 1000)
  }

  /** The chat action's view of this client. */
  #chatClient(): ChatClient {
    return {
      signer: this.signer,
      pool: this.pool,
      channels: this.#channels,
      verifier: this.#verifier,
      logger: this.#logger,
      clock: this.#clock,
      config: this.#config,
      session: this.#session,
      receipts: this.#receipts,
      outbox: this.#outbox,
      hostedSource: this.#nodeSource ? 'nodeSource' : this.#coordinator ? 'coordinator' : undefined,
      nodes: (query) => this.nodes(query),
      closed: () => this.#closed,
    }
  }
}

export function createInfernetClient(params: InfernetClientParameters): InfernetClient {
  return new InfernetClient(params)
}
