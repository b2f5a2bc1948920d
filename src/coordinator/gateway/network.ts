// What the gateway needs from the network: run one chat and stream it. In production this is the client SDK
// (`InfernetClient`) holding the coordinator's own key; its candidates come straight from this coordinator's
// market (no HTTP to itself, and no re-verification: the index verified every event on ingest, and the gateway is
// the same process). The SDK's typed errors are mapped to gateway errors here.
import type { ModelFeature } from '../../protocol/features.ts'
import type { Price } from '../../protocol/schema.ts'
import type { Signer } from '../../signer.ts'
import { createEventVerifier } from '../../protocol/verify.ts'
import { tryNativeSchnorr } from '../../schnorr/fastest.ts'
import { eventHashNode } from '../../crypto/eventHashNode.ts'
import type { Logger } from '../../log.ts'
import type { WebSocketConstructor } from '../../net/relayPool.ts'
import {
  AllCandidatesFailedError,
  BudgetExceededError,
  CancelledError,
  NoNodeForModelError,
  RequestRejectedError,
  RequestTooLargeError,
  ResultVerificationError,
  StreamInterruptedError,
  UnsupportedFeatureError,
  InvalidEmbeddingRequestError,
} from '../../../client/errors.ts'
import { InfernetClient, type ChatParameters, type EmbedParameters, type EmbedReturnType, type NodeSource } from '../../../client/client.ts'
import { toMarketNode } from '../../../client/market.ts'
import type { ChatDelta } from '../../../client/chatStream.ts'
import type { ReceiptIssuer } from '../../../client/receipts.ts'
import { CoordinatorHttpError, errors } from '../errors.ts'
import type { MarketIndex } from '../marketIndex.ts'
import type { Saturation } from '../../routing/saturation.ts'
import { summarizeStats } from '../../routing/stats.ts'
import { priceCeiling } from './budget.ts'
import type { GatewayResult } from './openai.ts'

/**
 * How an endpoint names the Chat Completions fields an error points at: /v1/responses calls `messages` `input` and
 * `response_format` `text.format`. A field not in it keeps its Chat Completions name.
 */
export type EndpointParams = Readonly<Partial<Record<string, string>>>

export type GatewayChatStream = AsyncIterable<ChatDelta> & { result: Promise<GatewayResult>; cancel(): void }

export type GatewayNetwork = {
  chat(params: ChatParameters): GatewayChatStream
  /** Absent in a network that runs chats only (test doubles): the gateway then answers 503 for embeddings. */
  embed?: ((params: EmbedParameters) => Promise<EmbedReturnType>) | undefined
  close(): Promise<void>
}

export type CreateClientNetworkParameters = {
  relays: string[]
  signer: Signer
  WebSocket: WebSocketConstructor
  /** The coordinator's market: the SDK's candidates. */
  market: MarketIndex
  /** The first candidate is drawn among the best `topK` (spreads load, as the coordinator's API does). */
  topK: number
  random: () => number
  acceptTimeoutMs?: number | undefined
  maxPrice?: Price | undefined
  /** Candidates handed to the SDK per request (it re-verifies each one's signed events): the coordinator's best n. */
  candidateLimit?: number | undefined
  /** Signs the gateway's payment vouchers (CPR) for paid nodes; without it no receipts are sent. */
  receipts?: ReceiptIssuer | undefined
  logger?: Logger | undefined
}

/**
 * The coordinator's best `limit` nodes for a model and the SDK's policy as SDK candidates, best first, the first
 * drawn among the best `topK` and counted in flight. Without a model (listing), every live node.
 */
export function marketNodeSource({ market, limit, topK, random, maxPrice }: { market: MarketIndex; limit: number; topK: number; random: () => number; maxPrice?: Price | undefined }): NodeSource {
  return ({ model, now, routing, features }) => {
    const ranked = model ? market.pick({ model, maxPrice, policy: routing, features }, { now, limit, k: topK, random }) : market.listLive(now, {})
    return ranked.map(({ node, score }) => {
      const entry = {
        npub: node.npub,
        capability: { data: node.capability, event: node.capabilityEvent },
        ...(node.heartbeat && node.heartbeatEvent ? { heartbeat: { data: node.heartbeat, event: node.heartbeatEvent } } : {}),
      }
      const candidate = toMarketNode(entry, now, model)
      candidate.stats = summarizeStats(node.stats)
      candidate.score = score
      return candidate
    })
  }
}

/**
 * The highest price among the nodes `marketNodeSource` may hand the SDK for a model right now (the best
 * max(limit, topK) candidates, as `pick` draws them): the gateway holds a request's worst case at it. Undefined
 * when no node is a candidate. A node that enters that set later and costs more is skipped by the SDK, whose
 * per-request budget is the hold.
 */
export function marketPriceCeiling({ market, limit, topK, maxPrice }: { market: MarketIndex; limit: number; topK: number; maxPrice?: Price | undefined }) {
  return ({ model, now, features }: { model: string; now: number; features?: readonly ModelFeature[] | undefined }): Price | undefined =>
    priceCeiling(market.route({ model, maxPrice, policy: 'balanced', features }, { now, limit: Math.max(limit, topK) }).flatMap(({ node }) => node.offers.get(model)?.price ?? []))
}

/** `client`: the SDK client behind it, for the coordinator's other traffic that must look like the gateway's (audits). */
export function createClientNetwork({ relays, signer, WebSocket, market, topK, random, acceptTimeoutMs, maxPrice, candidateLimit = 3, receipts, logger }: CreateClientNetworkParameters): GatewayNetwork & { client: InfernetClient } {
  const nodeSource = marketNodeSource({ market, limit: candidateLimit, topK, random, maxPrice })
  // The coordinator's own default policy, so the gateway routes as GET /api/v1/nodes?pick=1 does.
  // One client for every caller: a node whose result fails verification is excluded for that request only (a
  // caller's failed request must not take the node out of routing for everyone); the rejection it publishes is what
  // the market's reputation counts.
  // Native libsecp256k1 when built (the SDK alone would take the WASM): the gateway checks every result and chunk.
  const native = tryNativeSchnorr()
  const verifier = native ? createEventVerifier({ verifySignature: native.verify, hashEvent: eventHashNode }) : undefined
  const client = new InfernetClient({ relays, signer, WebSocket, nodeSource, routing: 'balanced', acceptTimeoutMs, maxPrice, receipts, logger, excludeFailedNodes: 'request', verifier })
  return {
    client,
    chat: (params) => client.chat(params),
    embed: (params) => client.embed(params),
    close: () => client.close(),
  }
}

/** Seconds a caller is told to wait when every node it tried refused `busy` though their heartbeats showed room. */
const busyRefusalRetryAfterSeconds = 2

/**
 * Turns the SDK's typed errors into gateway errors (status, OpenAI code, retry-after). `busy` tells whether the
 * market has no candidate only because every node is full (then the answer is `busy`, not "no node").
 */
export function mapNetworkError(
  err: unknown,
  model: string,
  { busy, params }: { busy?: (() => Saturation | undefined) | undefined; params?: EndpointParams | undefined } = {},
): unknown {
  if (err instanceof CoordinatorHttpError) return err
  const messages = params?.messages ?? 'messages'
  if (err instanceof UnsupportedFeatureError) return errors.unsupportedFeature({ model: err.model, missing: err.features, without: err.without }, params)
  if (err instanceof NoNodeForModelError) {
    const full = busy?.()
    return full ? errors.busy(model, full) : errors.noCapacity(model)
  }
  if (err instanceof AllCandidatesFailedError) {
    if (err.failures.length > 0 && err.failures.every((f) => f.code === 'busy')) {
      return errors.busy(model, busy?.() ?? { busy: err.failures.length, retryAfterSeconds: busyRefusalRetryAfterSeconds })
    }
    return errors.upstream(`Every node tried for \`${model}\` failed: ${err.failures.map((f) => f.reason).join('; ')}`, 503, 'all_nodes_failed', 2)
  }
  if (err instanceof BudgetExceededError) return errors.insufficientQuota()
  if (err instanceof InvalidEmbeddingRequestError) return errors.invalidRequest(err.shortMessage, err.param)
  if (err instanceof RequestTooLargeError) return new CoordinatorHttpError(err.shortMessage, { status: 400, wireCode: 'context_length_exceeded', param: messages })
  if (err instanceof RequestRejectedError) {
    return err.reason === 'too-large'
      ? new CoordinatorHttpError(err.shortMessage, { status: 400, wireCode: 'context_length_exceeded', param: messages })
      : new CoordinatorHttpError(err.shortMessage, { status: 400, wireCode: 'invalid_request_error' })
  }
  if (err instanceof StreamInterruptedError) return errors.upstream(err.shortMessage, 502, 'stream_interrupted')
  if (err instanceof ResultVerificationError) return errors.upstream(err.shortMessage, 502, 'result_verification_failed')
  if (err instanceof CancelledError) return new CoordinatorHttpError('The request was cancelled.', { status: 400, wireCode: 'cancelled' })
  return err
}
