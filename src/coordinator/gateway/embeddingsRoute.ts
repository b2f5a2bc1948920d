// POST /v1/embeddings: OpenAI's Embeddings API on the network. The model must be served by a live node whose model
// announces `embeddings` (a chat-only model is a 400 `unsupported_feature`, an unknown one a 404); the key's budget
// holds the request's worst case (every input byte a token) before the job exists, and what the node was paid is
// charged. Errors use the gateway's OpenAI envelope (its onError). nips/embeddings.md.
import type { Context, Hono } from 'hono'
import { embeddingWorstCaseUsage } from '../../protocol/embeddingJob.ts'
import type { ModelFeature } from '../../protocol/features.ts'
import { digestMatches, parseModelRef } from '../../protocol/modelDigest.ts'
import { amountDue } from '../../protocol/price.ts'
import { errors } from '../errors.ts'
import { readJson } from '../http.ts'
import { mapNetworkError } from './network.ts'
import { fromEmbeddingRequest, toEmbeddingResponse } from './openaiEmbeddings.ts'
import { abortOnHangUp, settleOnOutcome } from './gatewayChat.ts'
import type { GatewayDeps, GatewayVariables } from './deps.ts'

const features: readonly ModelFeature[] = ['embeddings']

export function registerEmbeddings(app: Hono<{ Variables: GatewayVariables }>, deps: GatewayDeps): void {
  const { market, keys, now } = deps
  app.post('/v1/embeddings', async (c: Context<{ Variables: GatewayVariables }>) => {
    const req = fromEmbeddingRequest(await readJson(c, { maxDepth: deps.maxJsonDepth }))
    const ref = parseModelRef(req.model)
    if (!market.hasModel(ref.id, now())) throw errors.modelNotFound(req.model)
    if (ref.digest) {
      const served = market.models(now()).find((m) => m.id === ref.id)?.digests ?? []
      if (!served.some((d) => digestMatches(d, ref.digest!))) throw errors.weightsNotServed(ref.id, ref.digest, served)
    }
    const network = deps.network
    if (!network) throw errors.upstream('This coordinator runs without a gateway identity; the gateway is disabled.', 503, 'gateway_disabled')
    if (!network.embed) throw errors.upstream('This gateway runs no embeddings.', 503, 'gateway_disabled')
    const shortfall = market.featureShortfall({ model: ref.id, digest: ref.digest, features: [...features] }, now())
    if (shortfall) throw errors.unsupportedFeature(shortfall)
    const busy = () => market.busy({ model: ref.id, features: [...features] }, now())
    const ceiling = deps.priceCeiling({ model: ref.id, now: now(), features })
    if (!ceiling) {
      const full = busy()
      throw full ? errors.busy(req.model, full) : errors.noCapacity(req.model)
    }
    const apiKey = c.get('apiKey')
    const reservation = keys.reserve(apiKey, amountDue(embeddingWorstCaseUsage(req.input), ceiling))
    const controller = new AbortController()
    const detach = abortOnHangUp(c.req.raw.signal, controller)
    try {
      const result = await network.embed({
        model: req.model,
        input: req.input,
        ...(req.dimensions !== undefined ? { dimensions: req.dimensions } : {}),
        signal: controller.signal,
        ...(apiKey?.budget !== undefined ? { budget: reservation.amount } : {}),
      })
      settleOnOutcome(keys, reservation, result)
      return c.json(toEmbeddingResponse({ model: req.model, result, encodingFormat: req.encodingFormat }))
    } catch (err) {
      settleOnOutcome(keys, reservation, { error: err })
      throw mapNetworkError(err, req.model, { busy })
    } finally {
      detach()
    }
  })
}
