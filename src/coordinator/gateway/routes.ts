// The OpenAI-compatible gateway under /v1: models, chat completions (streaming and not) and legacy completions.
// Callers authenticate with API keys; the gateway then acts as one client of the network with its own key.
import { digestMatches, parseModelRef } from '../../protocol/modelDigest.ts'
import type { Context, Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import type { Logger } from '../../log.ts'
import type { ApiKeyState, ApiKeyStore } from '../apiKeys.ts'
import { errors } from '../errors.ts'
import { readJson } from '../http.ts'
import type { MarketIndex } from '../marketIndex.ts'
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
}

let counter = 0
const completionId = (prefix: string) => `${prefix}-${Date.now().toString(36)}${(++counter).toString(36)}`

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
    const body = await readJson(c)
    const req: GatewayChatRequest = kind === 'chat' ? fromChatCompletionRequest(body) : fromCompletionRequest(body)
    const ref = parseModelRef(req.model)
    if (!market.hasModel(ref.id, now())) throw errors.modelNotFound(req.model)
    if (ref.digest) {
      const served = market.models(now()).find((m) => m.id === ref.id)?.digests ?? []
      if (!served.some((d) => digestMatches(d, ref.digest!))) throw errors.weightsNotServed(ref.id, ref.digest, served)
    }
    if (!deps.network) throw errors.upstream('This coordinator runs without a gateway identity; the gateway is disabled.', 503, 'gateway_disabled')
    const apiKey = c.get('apiKey')
    const controller = new AbortController()
    // A caller that hangs up cancels the job on the node (non-streaming; streams cancel in onAbort below).
    c.req.raw.signal?.addEventListener('abort', () => controller.abort(), { once: true })
    const chat = deps.network.chat({
      model: req.model,
      messages: req.messages,
      params: req.params,
      signal: controller.signal,
    })
    const charged = chat.result.then(
      (r) => {
        keys.charge(apiKey, r.cost)
        return r
      },
      (err: unknown) => {
        throw mapNetworkError(err, req.model)
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
    let first: IteratorResult<{ type: 'delta'; text: string }>
    try {
      first = await iterator.next()
    } catch (err) {
      throw mapNetworkError(err, req.model)
    }
    const chunk = (p: Omit<ChunkParameters, 'id' | 'created' | 'model'>) =>
      JSON.stringify(kind === 'chat' ? toChatCompletionChunk({ id, created, model: req.model, ...p }) : toCompletionChunk({ id, created, model: req.model, ...p }))
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => controller.abort())
      try {
        let next = first
        let role = true
        while (!next.done) {
          await stream.writeSSE({ data: chunk({ delta: next.value.text, role }) })
          role = false
          next = await iterator.next()
        }
        const result = await charged
        await stream.writeSSE({ data: chunk({ finish: result.finishReason }) })
        if (req.includeUsage) await stream.writeSSE({ data: chunk({ usage: result.usage }) })
        await stream.writeSSE({ data: '[DONE]' })
      } catch (err) {
        if (controller.signal.aborted) return
        const mapped = toOpenAIError(mapNetworkError(err, req.model), c.get('requestId'))
        logger.warn('stream failed after the first token', { code: mapped.body.error.code })
        await stream.writeSSE({ data: JSON.stringify(mapped.body) })
      }
    })
  }

  app.post('/v1/chat/completions', handle('chat'))
  app.post('/v1/completions', handle('completion'))
}
