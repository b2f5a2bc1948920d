// The OpenAI-compatible gateway under /v1: models, chat completions (streaming and not) and legacy completions.
// Callers authenticate with API keys; the gateway then acts as one client of the network with its own key.
import { requiredFeatures, type ModelFeature } from '../../protocol/features.ts'
import { digestMatches, parseModelRef } from '../../protocol/modelDigest.ts'
import { messagesBytes } from '../../protocol/worstCase.ts'
import type { Price } from '../../protocol/schema.ts'
import { BudgetExceededError } from '../../../client/errors.ts'
import type { ChatDelta } from '../../../client/chatStream.ts'
import type { Context, Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import type { Logger } from '../../log.ts'
import type { ApiKeyReservation, ApiKeyState, ApiKeyStore } from '../apiKeys.ts'
import { errors } from '../errors.ts'
import { readJson } from '../http.ts'
import type { MarketIndex } from '../marketIndex.ts'
import { planRequestBudget } from './budget.ts'
import { registerEmbeddings } from './embeddingsRoute.ts'
import { mapNetworkError, type GatewayNetwork } from './network.ts'
import {
  fromChatCompletionRequest,
  fromCompletionRequest,
  toChatCompletion,
  toChatCompletionChunk,
  toCompletion,
  toCompletionChunk,
  toModelList,
  toOpenAIError,
  type ChunkParameters,
  type GatewayChatRequest,
} from './openai.ts'

export type GatewayVariables = { requestId: string; apiKey: ApiKeyState | undefined }

export type GatewayDeps = {
  market: MarketIndex
  network: GatewayNetwork | undefined
  keys: ApiKeyStore
  now: () => number
  logger: Logger
  /** The highest price among the nodes a request for `model` may go to now (network.ts `marketPriceCeiling`). */
  priceCeiling: (query: { model: string; now: number; features?: readonly ModelFeature[] | undefined }) => Price | undefined
  /** max_tokens set on requests without one from keys with a budget, so their worst case is bounded. */
  defaultMaxTokens: number
  /** Deepest nesting of arrays and objects a request body may have. */
  maxJsonDepth: number
}

let counter = 0
const completionId = (prefix: string) => `${prefix}-${Date.now().toString(36)}${(++counter).toString(36)}`

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

export function registerGateway(app: Hono<{ Variables: GatewayVariables }>, deps: GatewayDeps): void {
  const { market, keys, now, logger } = deps

  app.use('/v1/*', async (c, next) => {
    c.set('apiKey', keys.authorize(c.req.header('authorization')))
    await next()
  })

  app.get('/v1/models', (c) => c.json(toModelList(market.models(now()), now())))
  app.get('/v1/models/:model{.+}', (c) => {
    const id = c.req.param('model')
    const m = market.models(now()).find((x) => x.id === id)
    if (!m) throw errors.modelNotFound(id)
    return c.json(toModelList([m], now()).data[0])
  })

  const handle = (kind: 'chat' | 'completion') => async (c: Context<{ Variables: GatewayVariables }>) => {
    const body = await readJson(c, { maxDepth: deps.maxJsonDepth })
    const req: GatewayChatRequest = kind === 'chat' ? fromChatCompletionRequest(body) : fromCompletionRequest(body)
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
    if (shortfall) throw errors.unsupportedFeature(shortfall)
    const busy = () => market.busy({ model: ref.id, features }, now())
    // No candidate now: every node is full (busy, retry) or none takes the request (price limit).
    const ceiling = deps.priceCeiling({ model: ref.id, now: now(), features })
    if (!ceiling) {
      const full = busy()
      throw full ? errors.busy(req.model, full) : errors.noCapacity(req.model)
    }
    const apiKey = c.get('apiKey')
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
    // A caller that hangs up cancels the job on the node (non-streaming; streams cancel in onAbort below).
    const detach = abortOnHangUp(c.req.raw.signal, controller)
    let chat
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
        throw mapNetworkError(err, req.model, { busy })
      },
    )
    charged.catch(() => {})
    const id = completionId(kind === 'chat' ? 'chatcmpl' : 'cmpl')
    const created = now()
    if (!req.stream) {
      const result = await charged
      return c.json(kind === 'chat' ? toChatCompletion({ id, created, result }) : toCompletion({ id, created, result }))
    }
    // Wait for the first token (or the end) before answering, so a failure before any output is a plain HTTP error.
    const iterator = chat[Symbol.asyncIterator]()
    let first: IteratorResult<ChatDelta>
    try {
      first = await iterator.next()
    } catch (err) {
      throw mapNetworkError(err, req.model, { busy })
    }
    const requestId = c.get('requestId')
    const chunk = (p: Omit<ChunkParameters, 'id' | 'created' | 'model'>) =>
      JSON.stringify(kind === 'chat' ? toChatCompletionChunk({ id, created, model: req.model, ...p }) : toCompletionChunk({ id, created, model: req.model, ...p }))
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => controller.abort())
      try {
        let next = first
        let role = true
        while (!next.done) {
          const d = next.value
          await stream.writeSSE({ data: chunk({ delta: d.text, reasoning: d.reasoning, toolCalls: d.toolCalls, logprobs: d.logprobs, role }) })
          role = false
          next = await iterator.next()
        }
        const result = await charged
        await stream.writeSSE({ data: chunk({ finish: result.finishReason }) })
        if (req.includeUsage) await stream.writeSSE({ data: chunk({ usage: result.usage }) })
        await stream.writeSSE({ data: '[DONE]' })
      } catch (err) {
        if (controller.signal.aborted) return
        const mapped = toOpenAIError(mapNetworkError(err, req.model, { busy }), requestId)
        logger.warn('stream failed after the first token', { code: mapped.body.error.code })
        await stream.writeSSE({ data: JSON.stringify(mapped.body) })
      }
    })
  }

  app.post('/v1/chat/completions', handle('chat'))
  app.post('/v1/completions', handle('completion'))
  registerEmbeddings(app, deps)
}
