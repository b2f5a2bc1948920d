// createCoordinator: the composition of indexer, market, routing, REST API, gateway, status page and metrics
// into one Hono app. I/O (relays, WebSocket, SQLite path, clock, randomness, the gateway's network) is injected.
import { dirname, join } from 'node:path'
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { requestId } from 'hono/request-id'
import { silentLogger, type Logger } from '../log.ts'
import { createRelayPool, type RelayPool, type WebSocketConstructor } from '../net/relayPool.ts'
import { nowSeconds } from '../protocol/event.ts'
import type { Signer } from '../signer.ts'
import { registerApi } from './api.ts'
import { openApiKeyUsage } from './apiKeyUsage.ts'
import { createApiKeyStore, type ApiKeySpec } from './apiKeys.ts'
import { resolveCoordinatorConfig, type CoordinatorConfig } from './config.ts'
import { openCoordinatorDb } from './db.ts'
import { CoordinatorHttpError, errors } from './errors.ts'
import type { ReceiptIssuer } from '../../client/receipts.ts'
import { createClientNetwork, marketPriceCeiling, type GatewayNetwork } from './gateway/network.ts'
import { toOpenAIError } from './gateway/openai.ts'
import { registerGateway, type GatewayVariables } from './gateway/routes.ts'
import { startCoordinatorAuditor } from './auditor.ts'
import { clientRunner } from '../../client/audit/runners.ts'
import type { InfernetClient } from '../../client/client.ts'
import { parseAuditReferences } from './auditSchedule.ts'
import { createIndexer } from './indexer.ts'
import { MarketIndex } from './marketIndex.ts'
import { renderMetrics, type HttpCounters } from './metrics.ts'
import { startReputationRefresh } from './reputationRefresh.ts'
import { registerPlayground } from './playground/routes.ts'
import { renderStatusPage, type StatusHistory, type StatusSnapshot } from './statusPage.ts'

export type CreateCoordinatorParameters = {
  relays: string[]
  /** SQLite cache path; ':memory:' keeps nothing. */
  dbPath: string
  /**
   * API-key spending (SQLite, apiKeyUsage.ts): not a cache, keep it. Default: `api-usage.sqlite` beside the cache
   * file (':memory:' with a ':memory:' cache). `infernet coordinator` keeps it in INFERNET_HOME.
   */
  usagePath?: string | undefined
  WebSocket?: WebSocketConstructor | undefined
  /** The gateway's identity; without it (and without `network`) /v1 chat answers 503. */
  signer?: Signer | undefined
  /** The gateway's voucher signer (client/payments); without it the gateway pays no receipts (free nodes only). */
  receipts?: ReceiptIssuer | undefined
  /** Replaces the SDK-backed network (tests, benchmarks). */
  network?: GatewayNetwork | undefined
  apiKeys?: ApiKeySpec[] | undefined
  config?: Partial<CoordinatorConfig> | undefined
  logger?: Logger | undefined
  now?: (() => number) | undefined
  random?: (() => number) | undefined
}

export type Coordinator = ReturnType<typeof createCoordinator>

export function createCoordinator(parameters: CreateCoordinatorParameters) {
  const config = resolveCoordinatorConfig(parameters.config)
  const { relays, dbPath, WebSocket, logger = silentLogger, now = nowSeconds, random = Math.random } = parameters
  const startedAt = Date.now()
  const db = openCoordinatorDb(dbPath)
  const market = new MarketIndex()
  market.trustedAuditors = new Set([...config.trustedAuditors, ...(parameters.signer ? [parameters.signer.pubkey] : [])])
  const pool: RelayPool | undefined = relays.length ? createRelayPool({ urls: relays, WebSocket, logger: logger.child('[relays]') }) : undefined
  const indexer = createIndexer({ db, market, pool, logger: logger.child('[indexer]'), now, flushMs: config.flushMs, statsWindowSeconds: config.statsWindowSeconds })
  const usage = openApiKeyUsage(parameters.usagePath ?? (dbPath === ':memory:' ? ':memory:' : join(dirname(dbPath), 'api-usage.sqlite')))
  const keys = createApiKeyStore({ keys: [...(parameters.apiKeys ?? []), ...config.apiKeys.map((key) => ({ key }))], usage, legacy: db })
  const http: HttpCounters = new Map()

  const app = new Hono<{ Variables: GatewayVariables }>()
  app.use('*', requestId())
  app.use('*', async (c, next) => {
    await next()
    const path = c.req.path
    const group = path.startsWith('/v1/') || path.startsWith('/api/v1/') ? c.req.routePath : path === '/' || path === '/metrics' || path === '/healthz' ? path : 'other'
    const k = `${group} ${c.res.status}`
    http.set(k, (http.get(k) ?? 0) + 1)
  })
  app.use(
    '*',
    bodyLimit({
      maxSize: config.maxBodyBytes,
      onError: () => {
        throw errors.tooLarge(config.maxBodyBytes)
      },
    }),
  )

  app.onError((err, c) => {
    const id = c.get('requestId') ?? '-'
    if (!(err instanceof CoordinatorHttpError)) logger.error('unhandled error', { requestId: id, error: err instanceof Error ? err.message : String(err) })
    const { status, body, retryAfterSeconds } = toOpenAIError(err, id)
    if (retryAfterSeconds !== undefined) c.header('retry-after', String(retryAfterSeconds))
    c.header('x-request-id', id)
    // /v1 speaks OpenAI's error object; the rest of the API its own { error: { code, message } }.
    const payload = c.req.path.startsWith('/v1/') ? body : { error: { code: body.error.code ?? 'internal_error', message: body.error.message } }
    return c.json(payload, status as 400)
  })
  app.notFound((c) => {
    throw errors.notFound(c.req.path)
  })

  registerApi(app as unknown as Hono, {
    market,
    indexer,
    db,
    pool,
    now,
    topK: config.topK,
    random,
    logger,
    startedAt,
    keys,
    maxStreams: config.maxStreams,
    maxStreamsPerKey: config.maxStreamsPerKey,
    maxJsonDepth: config.maxJsonDepth,
  })

  const maxPrice =
    config.maxPriceInput || config.maxPriceOutput
      ? { input: config.maxPriceInput || (10n ** 30n).toString(), output: config.maxPriceOutput || (10n ** 30n).toString() }
      : undefined
  const candidateLimit = Math.max(1, config.gatewayCandidates)
  let network = parameters.network
  let gatewayClient: InfernetClient | undefined
  if (!network && config.gateway && parameters.signer && WebSocket && relays.length) {
    const made = createClientNetwork({
      relays,
      signer: parameters.signer,
      WebSocket,
      market,
      topK: config.topK,
      random,
      acceptTimeoutMs: config.acceptTimeoutMs,
      maxPrice,
      candidateLimit,
      receipts: parameters.receipts,
      logger,
    })
    network = made
    gatewayClient = made.client
  }
  if (config.gateway) {
    registerGateway(app, {
      market,
      network,
      keys,
      now,
      logger: logger.child('[gateway]'),
      priceCeiling: marketPriceCeiling({ market, limit: candidateLimit, topK: config.topK, maxPrice }),
      defaultMaxTokens: config.gatewayDefaultMaxTokens,
      maxJsonDepth: config.maxJsonDepth,
      remoteImages: { enabled: config.gatewayRemoteImages !== 'off', allowPrivate: config.gatewayRemoteImages === 'any' },
    })
  }

  // The page renders what its script will poll, read through the same routes.
  const read = async <T>(path: string): Promise<T> => (await (await app.request(path)).json()) as T
  app.get('/', async (c) => c.html(renderStatusPage(await read<StatusSnapshot>('/api/v1/stats'), await read<StatusHistory>('/api/v1/stats/history?window=3600'))))
  registerPlayground(app as unknown as Hono, { relays })
  app.get('/metrics', (c) => c.text(renderMetrics({ market, indexer, pool, http, now: now() }), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }))
  app.get('/healthz', (c) => c.json({ ok: true, relays: pool?.connectedCount() ?? 0, nodes: market.nodes.size }))

  void indexer.start()
  const reputation = startReputationRefresh({ db, market, now })
  const auditReferences = parseAuditReferences(config.auditReferences)
  const auditor =
    auditReferences.size && parameters.signer && WebSocket && pool
      ? startCoordinatorAuditor({
          market,
          pool,
          relays,
          signer: parameters.signer,
          WebSocket,
          references: auditReferences,
          // Through the gateway's client where there is one: paid like its jobs, from the key they all come from.
          ...(gatewayClient ? { onNode: (node: string) => clientRunner({ client: gatewayClient, node }) } : {}),
          auditEvery: config.auditEvery,
          intervalSeconds: config.auditIntervalSeconds,
          now,
          logger: logger.child('[auditor]'),
        })
      : undefined

  return {
    app,
    market,
    indexer,
    db,
    pool,
    keys,
    config,
    /** Resolves once the relays' stored events are indexed (or after 10 s). */
    backfilled: indexer.backfilled,
    auditor,
    async close(): Promise<void> {
      await auditor?.close()
      reputation.close()
      await network?.close()
      indexer.close()
      pool?.close()
      db.close()
      usage.close()
    },
  }
}
