// REST API under /api/v1: the market (nodes, models), job submission and routing, job status and its SSE
// stream, and the figures the status page polls. Errors are { error: { code, message } } (see errors.ts).
import { redactUrl } from '../errors/base.ts'
import type { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import { parseJobRequest } from '../protocol/jobRequest.ts'
import { parseJobResult } from '../protocol/jobResult.ts'
import { parseJobStatus } from '../protocol/jobStatus.ts'
import * as kinds from '../protocol/kinds.ts'
import type { NostrEvent } from '../protocol/event.ts'
import type { Price } from '../protocol/schema.ts'
import { PublishError, type RelayPool } from '../net/relayPool.ts'
import type { Logger } from '../log.ts'
import type { ApiKeyState, ApiKeyStore } from './apiKeys.ts'
import type { CoordinatorDb, JobRow } from './db.ts'
import { errors } from './errors.ts'
import { fillHistory, historyRange, maxHistoryWindow, parseHistoryWindow } from './history.ts'
import { isObject, readJson } from './http.ts'
import type { Indexer, JobUpdate } from './indexer.ts'
import type { MarketIndex } from './marketIndex.ts'
import type { IndexedNode } from './indexedNode.ts'
import { isLive } from '../routing/liveness.ts'
import { pickFromRanked } from '../routing/rank.ts'
import { routingPolicies, type NamedPolicy, type Ranked, type RouteQuery } from '../routing/score.ts'
import { summarizeStats } from '../routing/stats.ts'

export type ApiDeps = {
  market: MarketIndex
  indexer: Indexer
  db: CoordinatorDb
  pool: RelayPool | undefined
  now: () => number
  topK: number
  random: () => number
  logger: Logger
  startedAt: number
  /** Where API keys are configured, what routes jobs or holds a stream needs one (nips/routing.md, "REST API"). */
  keys: ApiKeyStore
  /** Most job streams (GET /api/v1/jobs/:id/stream) open at once, and per API key. */
  maxStreams: number
  maxStreamsPerKey: number
  /** Deepest nesting of arrays and objects a request body may have. */
  maxJsonDepth: number
}

const unlimited = (10n ** 30n).toString()

export function nodeEntry({ node, score }: Ranked<IndexedNode>) {
  return {
    pubkey: node.pubkey,
    npub: node.npub,
    capability: node.capabilityEvent,
    heartbeat: node.heartbeatEvent ?? null,
    stats: summarizeStats(node.stats),
    score: Math.round(score * 10_000) / 10_000,
  }
}

const amountPattern = /^\d{1,30}$/

/** Price limit from two optional decimal strings; one side alone leaves the other unlimited. */
export function parseMaxPrice(input: unknown, output: unknown, param = 'maxPrice'): Price | undefined {
  if ((input === undefined || input === null || input === '') && (output === undefined || output === null || output === '')) return undefined
  const side = (v: unknown, name: string) => {
    if (v === undefined || v === null || v === '') return unlimited
    const s = typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? String(v) : v
    if (typeof s !== 'string' || !amountPattern.test(s)) throw errors.invalidRequest(`${name} must be a non-negative integer amount (base units per million tokens)`, name)
    return s
  }
  return { input: side(input, `${param}.input`), output: side(output, `${param}.output`) }
}

export function parsePolicy(value: unknown): NamedPolicy | undefined {
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value !== 'string' || !(routingPolicies as readonly string[]).includes(value)) {
    throw errors.invalidRequest(`policy must be one of ${routingPolicies.join(', ')}`, 'policy')
  }
  return value as NamedPolicy
}

function jobView(row: JobRow, events: NostrEvent[]) {
  const result = events.find((e) => e.kind === kinds.JobResult) ?? null
  return {
    id: row.id,
    node: row.node,
    client: row.client,
    model: row.model,
    status: row.status,
    code: row.code,
    message: row.message,
    usage: row.prompt_tokens === null ? null : { promptTokens: row.prompt_tokens, completionTokens: row.completion_tokens },
    amount: row.amount,
    ttftMs: row.ttft_ms,
    durationMs: row.duration_ms,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    result,
  }
}

function frameFor(event: NostrEvent): { type: string; data: unknown } | undefined {
  if (event.kind === kinds.JobStatus) {
    const s = parseJobStatus(event, { trusted: true, now: event.created_at })
    if (s.ok) return { type: 'status', data: { job: s.data.job, status: s.data.status, code: s.data.code, message: s.data.message, event } }
  } else if (event.kind === kinds.JobResult) {
    const r = parseJobResult(event, { trusted: true, now: event.created_at })
    if (r.ok) return { type: 'result', data: { job: r.data.job, usage: r.data.usage, amount: r.data.amount.toString(), finishReason: r.data.finishReason, event } }
  }
  return undefined
}

const terminal = new Set(['success', 'error', 'cancelled'])

export function registerApi(app: Hono, deps: ApiDeps): void {
  const { market, indexer, db, pool, now, keys } = deps
  /** Job ids being published now: a second POST of one is refused before the first is indexed. */
  const submitting = new Set<string>()
  let streams = 0
  const streamsByKey = new Map<string, number>()

  // Reading the market (nodes, models, stats: public signed events, as on any relay) needs no key. Routing a job,
  // which counts it in flight on a node, submitting one, and following one do: without that anyone could drain a
  // rival's load score, replay a job, or hold streams open. Checked per route, so the status page's own reads pass.
  const requireKey = (header: string | undefined): ApiKeyState | undefined => keys.authorize(header, { spends: false })

  function route(query: RouteQuery): Ranked<IndexedNode>[] {
    const ranked = market.route(query, { now: now(), limit: Math.max(1, deps.topK) })
    if (ranked.length === 0) {
      if (!market.hasModel(query.model, now())) throw errors.modelNotFound(query.model)
      const full = market.busy(query, now())
      throw full ? errors.busy(query.model, full) : errors.noCapacity(query.model)
    }
    return pickFromRanked(ranked, { k: deps.topK, random: deps.random })
  }

  app.get('/api/v1/nodes', (c) => {
    const q = c.req.query()
    const limitRaw = q.limit ?? '50'
    const limit = Number(limitRaw)
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw errors.invalidRequest('limit must be an integer 1-10000', 'limit')
    const maxPrice = parseMaxPrice(q.maxPriceIn, q.maxPriceOut, 'maxPrice')
    const base = { maxPrice, region: q.region || undefined, policy: parsePolicy(q.policy) }
    if (q.pick !== undefined && q.pick !== '0' && q.pick !== '1') throw errors.invalidRequest('pick must be 0 or 1', 'pick')
    if (q.pick === '1' && q.model) {
      requireKey(c.req.header('authorization'))
      // Spread load: the first entry is drawn among the best k (as for a route query) and counted as in flight.
      return c.json({ nodes: market.pick({ ...base, model: q.model }, { now: now(), limit, k: deps.topK, random: deps.random }).map(nodeEntry) })
    }
    const ranked = q.model ? market.route({ ...base, model: q.model }, { now: now(), limit }) : market.listLive(now(), base).slice(0, limit)
    return c.json({ nodes: ranked.map(nodeEntry) })
  })

  app.get('/api/v1/models', (c) => c.json({ models: market.models(now()) }))

  app.post('/api/v1/jobs', async (c) => {
    requireKey(c.req.header('authorization'))
    const body = await readJson(c, { maxDepth: deps.maxJsonDepth })
    if (!isObject(body)) throw errors.invalidRequest('body must be a JSON object: a signed job request event, or a route query { model, ... }')
    if ('kind' in body || 'sig' in body) {
      const parsed = parseJobRequest(body, { now: now(), verify: indexer.verifier })
      if (!parsed.ok) throw errors.invalidEvent(parsed.reason)
      const node = market.nodes.get(parsed.data.node)
      if (!node || !isLive(node, now())) throw errors.nodeNotFound(parsed.data.node)
      if (!pool) throw errors.publishFailed('this coordinator has no relays configured')
      // A job runs once: the same signed request again would count in flight again (and reach the node again).
      const id = parsed.data.id
      if (submitting.has(id)) throw errors.duplicateJob(id)
      indexer.flush()
      if (db.getJob(id)) throw errors.duplicateJob(id)
      submitting.add(id)
      try {
        await pool.publish(parsed.event)
      } catch (err) {
        if (err instanceof PublishError) throw errors.publishFailed(err.outcomes.map((o) => `${o.relay}: ${o.message}`).join('; ') || 'no relay connected')
        throw err
      } finally {
        submitting.delete(id)
      }
      indexer.recordSubmitted(parsed.data)
      node.inflight++
      market.touch(node)
      return c.json({ id: parsed.data.id, node: node.pubkey, stream: node.capability.stream }, 202)
    }
    if (typeof body.model !== 'string' || body.model === '') throw errors.invalidRequest('model is required (a string)', 'model')
    const maxPrice = isObject(body.maxPrice) ? parseMaxPrice(body.maxPrice.input, body.maxPrice.output) : body.maxPrice === undefined ? undefined : (() => {
      throw errors.invalidRequest('maxPrice must be an object { input, output }', 'maxPrice')
    })()
    if (body.region !== undefined && typeof body.region !== 'string') throw errors.invalidRequest('region must be a string', 'region')
    if (body.exclude !== undefined && !(Array.isArray(body.exclude) && body.exclude.every((x) => typeof x === 'string'))) {
      throw errors.invalidRequest('exclude must be an array of node pubkeys', 'exclude')
    }
    const picked = route({
      model: body.model,
      maxPrice,
      region: body.region as string | undefined,
      policy: parsePolicy(body.policy),
      exclude: body.exclude ? new Set(body.exclude as string[]) : undefined,
    })
    picked[0]!.node.inflight++
    market.touch(picked[0]!.node)
    return c.json({ node: nodeEntry(picked[0]!), alternatives: picked.slice(1, deps.topK).map(nodeEntry) })
  })

  app.get('/api/v1/jobs/:id', (c) => {
    requireKey(c.req.header('authorization'))
    const id = c.req.param('id')
    if (!/^[0-9a-f]{64}$/.test(id)) throw errors.invalidRequest('job id must be 64 lowercase hex characters', 'id')
    indexer.flush()
    const row = db.getJob(id)
    if (!row) throw errors.jobNotFound(id)
    return c.json(jobView(row, db.jobEvents(id)))
  })

  app.get('/api/v1/jobs/:id/stream', (c) => {
    const key = requireKey(c.req.header('authorization'))?.id ?? ''
    const id = c.req.param('id')
    if (!/^[0-9a-f]{64}$/.test(id)) throw errors.invalidRequest('job id must be 64 lowercase hex characters', 'id')
    const mine = streamsByKey.get(key) ?? 0
    if (streams >= deps.maxStreams) throw errors.tooManyStreams(deps.maxStreams, 'this coordinator')
    if (key && mine >= deps.maxStreamsPerKey) throw errors.tooManyStreams(deps.maxStreamsPerKey, 'this API key')
    indexer.flush()
    streams++
    streamsByKey.set(key, mine + 1)
    const closeStream = () => {
      streams--
      const left = (streamsByKey.get(key) ?? 1) - 1
      if (left > 0) streamsByKey.set(key, left)
      else streamsByKey.delete(key)
    }
    return streamSSE(c, async (stream) => {
      let done = false
      let wake: () => void = () => {}
      const pending: JobUpdate[] = []
      const off = indexer.onJobUpdate((u) => {
        if (u.job !== id) return
        pending.push(u)
        wake()
      })
      stream.onAbort(() => {
        done = true
        wake()
      })
      const send = async (event: NostrEvent) => {
        const frame = frameFor(event)
        if (!frame) return
        await stream.writeSSE({ event: frame.type, data: JSON.stringify(frame.data), id: event.id })
        if (frame.type === 'result') done = true
        else if (terminal.has((frame.data as { status: string }).status) && (frame.data as { status: string }).status !== 'success') done = true
      }
      try {
        for (const event of db.jobEvents(id)) await send(event)
        while (!done) {
          if (pending.length === 0) {
            await new Promise<void>((resolve) => {
              const t = setTimeout(resolve, 15_000)
              wake = () => {
                clearTimeout(t)
                resolve()
              }
            })
            if (pending.length === 0 && !done) await stream.write(': ping\n\n')
            continue
          }
          await send(pending.shift()!.event)
        }
      } finally {
        off()
        closeStream()
      }
    })
  })

  // Per-minute history for the status page's charts, from this coordinator's own job records.
  app.get('/api/v1/stats/history', (c) => {
    const window = parseHistoryWindow(c.req.query('window'))
    if (window === undefined) throw errors.invalidRequest(`window must be whole seconds, 60-${maxHistoryWindow}`, 'window')
    indexer.flush()
    const range = historyRange(now(), window)
    return c.json({ window, bucketSeconds: range.bucketSeconds, buckets: fillHistory(range, db.jobHistory(range)) })
  })

  app.get('/api/v1/stats', (c) => {
    const t = now()
    const live = market.listLive(t, {})
    return c.json({
      nodes: live.length,
      models: market.models(t),
      ...indexer.rates(),
      jobs: db.jobCounts(),
      relays: pool?.status().map((r) => ({ url: redactUrl(r.url), connected: r.connected })) ?? [],
      indexed: indexer.counters.indexed,
      rejected: indexer.counters.rejected,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      top: live.slice(0, 50).map(({ node, score }) => ({
        pubkey: node.pubkey,
        npub: node.npub,
        name: node.capability.name ?? null,
        region: node.capability.region ?? null,
        backend: node.capability.backend,
        models: node.capability.models.map((m) => m.id),
        price: node.capability.price,
        slots: node.heartbeat?.slots ?? null,
        stats: summarizeStats(node.stats),
        audits: market.auditsFor(node.pubkey),
        score: Math.round(score * 1000) / 1000,
      })),
    })
  })
}
