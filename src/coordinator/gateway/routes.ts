// The OpenAI-compatible gateway under /v1: models, chat completions (streaming and not), legacy completions and the
// Responses API (stateless: nothing is stored, so only POST /v1/responses is served).
// Callers authenticate with API keys; the gateway then acts as one client of the network with its own key.
import type { Context, Hono } from 'hono'
import { errors } from '../errors.ts'
import { readJson } from '../http.ts'
import { choiceRequests } from './choices.ts'
import type { GatewayDeps, GatewayVariables } from './deps.ts'
import { startGatewayChat, type GatewayChat } from './gatewayChat.ts'
import { registerEmbeddings } from './embeddingsRoute.ts'
import {
  choicesUsage,
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
import { streamEvents } from './sseWriter.ts'
import { inlineRemoteImages } from './remoteImages.ts'
import { fromResponsesRequest, responsesParams } from './responsesRequest.ts'
import { createResponseEvents, toResponseBody, type ResponseEvent, type ResponseShell } from './responsesOutput.ts'

export type { GatewayDeps, GatewayVariables } from './deps.ts'

let counter = 0
/** `chatcmpl-…`, `cmpl-…`, and `resp_…` as the Responses API writes its ids. */
const completionId = (prefix: string, separator = '-') => `${prefix}${separator}${Date.now().toString(36)}${(++counter).toString(36)}`

/** Every value, in order, once all resolve; the first rejection (in order) once all have settled. */
async function allOrFirstError<T>(promises: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises)
  const failed = settled.find((s) => s.status === 'rejected')
  if (failed) throw failed.reason
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value)
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
    if (kind === 'chat') await inlineRemoteImages(body, deps.remoteImages)
    const req: GatewayChatRequest = kind === 'chat' ? fromChatCompletionRequest(body) : fromCompletionRequest(body)
    const jobs: GatewayChat[] = []
    try {
      for (const choice of choiceRequests(req)) jobs.push(startGatewayChat(deps, { req: choice, apiKey: c.get('apiKey'), signal: c.req.raw.signal }))
    } catch (err) {
      for (const j of jobs) j.abort()
      throw err
    }
    const id = completionId(kind === 'chat' ? 'chatcmpl' : 'cmpl')
    const created = now()
    if (!req.stream) {
      const results = await allOrFirstError(jobs.map((j) => j.charged))
      return c.json(kind === 'chat' ? toChatCompletion({ id, created, results }) : toCompletion({ id, created, results }))
    }
    const starts = await allOrFirstError(jobs.map((j) => j.stream())).catch((err: unknown) => {
      for (const j of jobs) j.abort()
      throw err
    })
    const requestId = c.get('requestId')
    const chunk = (p: Omit<ChunkParameters, 'id' | 'created' | 'model'>) =>
      JSON.stringify(kind === 'chat' ? toChatCompletionChunk({ id, created, model: req.model, ...p }) : toCompletionChunk({ id, created, model: req.model, ...p }))
    return streamEvents(c, async (stream) => {
      stream.onAbort(() => jobs.forEach((j) => j.abort()))
      // Choices stream at once; one write at a time keeps each chunk whole.
      let writing = Promise.resolve()
      const write = (data: string) => (writing = writing.then(() => stream.send(data)))
      try {
        const results = await Promise.all(
          starts.map(async ({ first, next: nextDelta }, index) => {
            let role = true
            for (let next = first; !next.done; next = await nextDelta()) {
              const d = next.value
              await write(chunk({ delta: d.text, reasoning: d.reasoning, toolCalls: d.toolCalls, logprobs: d.logprobs, role, index }))
              role = false
            }
            const result = await jobs[index]!.charged
            await write(chunk({ finish: result.finishReason, index }))
            return result
          }),
        )
        if (req.includeUsage) await write(chunk({ usage: choicesUsage(results) }))
        await write('[DONE]')
      } catch (err) {
        if (jobs.some((j) => j.aborted())) return
        for (const j of jobs) j.abort()
        const mapped = toOpenAIError(jobs[0]!.mapError(err), requestId)
        logger.warn('stream failed after the first token', { code: mapped.body.error.code })
        await write(JSON.stringify(mapped.body))
      }
    })
  }

  app.post('/v1/chat/completions', handle('chat'))
  app.post('/v1/completions', handle('completion'))

  // The Responses API, stateless: the same chat job, rendered as a response object or its streaming events.
  app.post('/v1/responses', async (c) => {
    const body = await readJson(c, { maxDepth: deps.maxJsonDepth })
    await inlineRemoteImages(body, deps.remoteImages)
    const req = fromResponsesRequest(body)
    const job = startGatewayChat(deps, { req, apiKey: c.get('apiKey'), signal: c.req.raw.signal, params: responsesParams })
    const shell: ResponseShell = { id: completionId('resp', '_'), created: now(), model: req.model, echo: req.echo }
    if (!req.stream) return c.json(toResponseBody(shell, await job.charged))
    const { first, next: nextDelta } = await job.stream()
    const requestId = c.get('requestId')
    const events = createResponseEvents(shell)
    return streamEvents(c, async (stream) => {
      stream.onAbort(() => job.abort())
      const send = async (list: ResponseEvent[]) => {
        for (const e of list) await stream.send(JSON.stringify(e), e.type)
      }
      try {
        await send(events.start())
        for (let next = first; !next.done; next = await nextDelta()) await send(events.delta(next.value))
        await send(events.finish(await job.charged))
      } catch (err) {
        if (job.aborted()) return
        const mapped = toOpenAIError(job.mapError(err), requestId)
        logger.warn('response stream failed after the first token', { code: mapped.body.error.code })
        // OpenAI's failed response names `server_error`; ours says which failure it was in the message.
        await send(events.fail({ code: 'server_error', message: `${mapped.body.error.code ?? 'server_error'}: ${mapped.body.error.message}` }))
      }
    })
  })
  // Retrieve, delete, cancel, input_items, input_tokens: each would read a stored response, and none is stored.
  app.all('/v1/responses/:id{.+}', (c) => {
    throw errors.responseNotStored(c.req.param('id').split('/')[0]!)
  })
  registerEmbeddings(app, deps)
}
