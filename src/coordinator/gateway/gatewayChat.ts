// One gateway request as one chat job: the checks every OpenAI-style endpoint shares (model served, weights pinned,
// features some node announces, a price ceiling), the hold on the API key's budget, the job through the network, and
// the charge or release when it ends. /v1/chat/completions, /v1/completions and /v1/responses translate their request
// into a GatewayChatRequest, hand it here, and only render the outcome differently.
import { requiredFeatures, type ModelFeature } from '../../protocol/features.ts'
import { digestMatches, parseModelRef } from '../../protocol/modelDigest.ts'
import { messagesBytes } from '../../protocol/worstCase.ts'
import type { Price } from '../../protocol/schema.ts'
import { BudgetExceededError } from '../../../client/errors.ts'
import type { ChatDelta } from '../../../client/chatStream.ts'
import type { ApiKeyReservation, ApiKeyState, ApiKeyStore } from '../apiKeys.ts'
import { errors } from '../errors.ts'
import type { MarketIndex } from '../marketIndex.ts'
import { planRequestBudget } from './budget.ts'
import { mapNetworkError, type EndpointParams, type GatewayChatStream, type GatewayNetwork } from './network.ts'
import type { GatewayChatRequest, GatewayResult } from './openai.ts'

export type GatewayChatDeps = {
  market: MarketIndex
  network: GatewayNetwork | undefined
  keys: ApiKeyStore
  now: () => number
  /** The highest price among the nodes a request for `model` may go to now (network.ts `marketPriceCeiling`). */
  priceCeiling: (query: { model: string; now: number; features?: readonly ModelFeature[] | undefined }) => Price | undefined
  /** max_tokens set on requests without one from keys with a budget, so their worst case is bounded. */
  defaultMaxTokens: number
}

export type StartGatewayChatParameters = {
  req: GatewayChatRequest
  apiKey: ApiKeyState | undefined
  /** The caller's request signal: hanging up cancels the job. */
  signal: AbortSignal | undefined
  /** How this endpoint names the Chat Completions fields its errors point at (`messages` is `input` for /v1/responses). */
  params?: EndpointParams | undefined
}

export type GatewayChat = {
  /** The job's result once charged to the key; rejects with a gateway error (already mapped). */
  charged: Promise<GatewayResult>
  /** Cancels the job (a stream whose caller went away). */
  abort(): void
  aborted(): boolean
  /**
   * The job's deltas, the first awaited before this resolves: a failure before any output rejects it, so the endpoint
   * answers a plain HTTP error instead of opening a stream.
   */
  stream(): Promise<{ first: IteratorResult<ChatDelta>; next: () => Promise<IteratorResult<ChatDelta>> }>
  /** An error thrown mid-stream, as a gateway error. */
  mapError(err: unknown): unknown
}

/**
 * Aborts `controller` when the caller hangs up, until the returned function detaches it. Kept out of the handler
 * so the listener closes over nothing but the controller: a listener made inside it would hold the whole request
 * (Hono context, body, response) for as long as the request's signal lives, which undici's finalization registry
 * extends well past the response, and the coordinator's memory grew with every request (issue 15, item 5).
 */
export function abortOnHangUp(signal: AbortSignal | undefined, controller: AbortController): () => void {
  if (!signal) return () => {}
  const onAbort = () => controller.abort()
  signal.addEventListener('abort', onAbort, { once: true })
  return () => signal.removeEventListener('abort', onAbort)
}

/** Charges what a finished request cost, or frees its hold when it failed before anything was paid. */
export function settleOnOutcome(keys: ApiKeyStore, reservation: ApiKeyReservation, outcome: { cost: bigint } | { error: unknown }): void {
  if ('cost' in outcome) return keys.settle(reservation, outcome.cost)
  // The node was paid part of the job before the request's budget ran out: that part is spent.
  if (outcome.error instanceof BudgetExceededError && outcome.error.paid > 0n) return keys.settle(reservation, outcome.error.paid)
  keys.release(reservation)
}

/** Checks, holds and starts one request's job; throws a gateway error when it cannot start. */
export function startGatewayChat(deps: GatewayChatDeps, { req, apiKey, signal, params }: StartGatewayChatParameters): GatewayChat {
  const { market, keys, now } = deps
  const ref = parseModelRef(req.model)
  if (!market.hasModel(ref.id, now())) throw errors.modelNotFound(req.model)
  if (ref.digest) {
    const served = market.models(now()).find((m) => m.id === ref.id)?.digests ?? []
    if (!served.some((d) => digestMatches(d, ref.digest!))) throw errors.weightsNotServed(ref.id, ref.digest, served)
  }
  if (!deps.network) throw errors.upstream('This coordinator runs without a gateway identity; the gateway is disabled.', 503, 'gateway_disabled')
  // Tools, images, a schema, ...: only nodes whose model announces them count, and none at all is a 400 naming the field.
  const features = requiredFeatures(req)
  const shortfall = market.featureShortfall({ model: ref.id, digest: ref.digest, features }, now())
  if (shortfall) throw errors.unsupportedFeature(shortfall, params)
  const busy = () => market.busy({ model: ref.id, features }, now())
  const mapError = (err: unknown) => mapNetworkError(err, req.model, { busy, params })
  // No candidate now: every node is full (busy, retry) or none takes the request (price limit).
  const ceiling = deps.priceCeiling({ model: ref.id, now: now(), features })
  if (!ceiling) {
    const full = busy()
    throw full ? errors.busy(req.model, full) : errors.noCapacity(req.model)
  }
  // Hold the worst case against the key's budget before the job exists; the SDK pays no more than it.
  const plan = planRequestBudget({
    promptBytes: messagesBytes(req.messages),
    maxTokens: req.params.max_tokens,
    price: ceiling,
    available: keys.available(apiKey),
    defaultMaxTokens: deps.defaultMaxTokens,
  })
  const reservation = keys.reserve(apiKey, plan.worstCase)
  if (plan.maxTokens !== undefined) req.params.max_tokens = plan.maxTokens
  const controller = new AbortController()
  // A caller that hangs up cancels the job on the node (non-streaming; streams abort() when their writer closes).
  const detach = abortOnHangUp(signal, controller)
  let chat: GatewayChatStream
  try {
    chat = deps.network.chat({
      model: req.model,
      messages: req.messages,
      params: req.params,
      signal: controller.signal,
      ...(apiKey?.budget !== undefined ? { budget: reservation.amount } : {}),
    })
  } catch (err) {
    detach()
    keys.release(reservation)
    throw err
  }
  const charged = chat.result.then(
    (r) => {
      detach()
      settleOnOutcome(keys, reservation, r)
      return r
    },
    (err: unknown) => {
      detach()
      settleOnOutcome(keys, reservation, { error: err })
      throw mapError(err)
    },
  )
  charged.catch(() => {})
  return {
    charged,
    abort: () => controller.abort(),
    aborted: () => controller.signal.aborted,
    mapError,
    stream: async () => {
      const iterator = chat[Symbol.asyncIterator]()
      try {
        return { first: await iterator.next(), next: () => iterator.next() }
      } catch (err) {
        throw mapError(err)
      }
    },
  }
}
