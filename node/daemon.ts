// The node daemon: relays (capability, heartbeat, jobs/receipts/cancels addressed to us), the stream server,
// and the job executor. `createNodeDaemon` only wires; `start()` opens sockets; `stop()` closes everything it
// opened, lets running jobs end with an error frame and status, and keeps the dedupe store on disk.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { createRelayPool, type RelayPool, type Subscription, type WebSocketConstructor } from '../src/net/relayPool.ts'
import { silentLogger, type Logger } from '../src/log.ts'
import { buildCapability, type CapabilityContent } from '../src/protocol/capability.ts'
import type { NostrEvent } from '../src/protocol/event.ts'
import { buildHeartbeat } from '../src/protocol/heartbeat.ts'
import { parseJobCancel } from '../src/protocol/jobCancel.ts'
import { isAuthentic } from '../src/protocol/event.ts'
import * as kinds from '../src/protocol/kinds.ts'
import type { Signer } from '../src/signer.ts'
import type { EventVerifier } from '../src/protocol/verify.ts'
import { createFastEventVerifier } from '../src/schnorr/fastest.ts'
import type { Backend } from './backends/types.ts'
import { buildCapabilityContent, noGpuProbe, servedModels, type GpuInfo, type GpuProbe } from './capability.ts'
import { nodeDataDir, nodePrice, type NodeConfig } from './config.ts'
import { collectHeartbeat } from './heartbeat.ts'
import { createDedupeStore, type DedupeStore } from './jobs/dedupeStore.ts'
import { createExecutor, type Executor } from './jobs/executor.ts'
import { RollingMetrics } from './metrics.ts'
import { createFreePaymentGate, type PaymentGate } from './paymentGate.ts'
import { startStreamServer, type StreamServer } from './stream/server.ts'

export type NodeDaemonParameters = {
  /** The node's key; the local signer's conversation-key fast path keeps chunk encryption off the TTFT path. */
  signer: Signer
  backend: Backend
  relays: string[]
  config: NodeConfig
  /** Where the dedupe database lives; `:memory:` for throwaway nodes. Default `<home>/node/jobs.sqlite` needs `home`. */
  dbPath?: string | undefined
  home?: string | undefined
  clock?: { now(): number } | undefined
  logger?: Logger | undefined
  WebSocket?: WebSocketConstructor | undefined
  payment?: PaymentGate | undefined
  gpu?: GpuProbe | undefined
  /** Id and signature checks for incoming events, this daemon's own; default libsecp256k1 (WASM), @noble if it cannot load. */
  verify?: EventVerifier | undefined
  /** Announced in the capability's `payment` field (priced nodes that take receipts). */
  paymentTerms?: CapabilityContent['payment'] | undefined
  /**
   * Started with the daemon, stopped with it: a priced node's watch for withdrawal requests by its payers, which
   * redeems their receipts during the delay (node/payout/watchWithdrawals.ts). Returns the function that stops it.
   */
  watchWithdrawals?: (() => () => void) | undefined
}

export type NodeStats = {
  pubkey: string
  streamUrl: string
  announcedStream: string | null
  startedAt: number
  backend: { kind: string; url: string; healthy: boolean | null }
  models: string[]
  price: { input: string; output: string }
  slots: { free: number; total: number }
  running: number
  queued: number
  jobs: { done: number; failed: number }
  ttftMs: number | null
  tps: number | null
  relays: { url: string; connected: boolean }[]
  lastHeartbeatAt: number | null
  capabilityId: string | null
  /** CPU time of this process (user + system, ms) and tokens streamed, for capacity figures. */
  cpuMs: number
  tokensOut: number
  /** The node's own share of the time to first token (ms): arrival -> backend call, first token -> frame sent. */
  overheadMs: ReturnType<RollingMetrics['overhead']>
}

export type NodeDaemon = {
  readonly pubkey: string
  /** Base URL of the stream endpoint (after start). */
  readonly streamUrl: string
  /** The bearer token `GET /status` answers to: INFERNET_STATUS_TOKEN, else a random one per daemon. */
  readonly statusToken: string
  start(): Promise<void>
  stop(): Promise<void>
  stats(): NodeStats
  /** Publishes a heartbeat now (also runs on its interval). */
  heartbeat(): Promise<NostrEvent | undefined>
  /** Rebuilds and republishes the capability event now. */
  publishCapability(): Promise<NostrEvent | undefined>
}

export function createNodeDaemon(parameters: NodeDaemonParameters): NodeDaemon {
  const { signer, backend, relays, config } = parameters
  const clock = parameters.clock ?? { now: () => Date.now() }
  const logger = (parameters.logger ?? silentLogger).child(`[node ${signer.pubkey.slice(0, 8)}]`)
  const payment = parameters.payment ?? createFreePaymentGate()
  const gpu = parameters.gpu ?? noGpuProbe
  const metrics = new RollingMetrics()
  const nowSec = () => Math.floor(clock.now() / 1000)
  let pool: RelayPool | undefined
  let dedupe: DedupeStore | undefined
  let executor: Executor | undefined
  let server: StreamServer | undefined
  let sub: Subscription | undefined
  const timers: ReturnType<typeof setInterval>[] = []
  let models: string[] = []
  let gpus: GpuInfo[] = []
  let backendHealthy: boolean | null = null
  let lastHeartbeatAt: number | null = null
  let capabilityId: string | null = null
  let announced: string | null = null
  let startedAt = 0
  const statusToken = config.statusToken || randomBytes(24).toString('hex')
  let stopWatching: (() => void) | undefined

  const publish = (event: NostrEvent) => {
    if (!pool) return
    pool.publish(event).catch((err: Error) => logger.warn('publish failed', { kind: event.kind, id: event.id.slice(0, 12), error: err.message }))
  }

  const onRelayEvent = (event: NostrEvent) => {
    if (!executor) return
    if (event.kind === kinds.JobRequest) return void executor.submit(event, { via: 'relay' }).catch((err: Error) => logger.error('relay job failed', { error: err.message }))
    if (event.kind === kinds.JobCancel) {
      const parsed = parseJobCancel(event, { now: nowSec() })
      if (parsed.ok && parsed.data.node === signer.pubkey) executor.cancel(parsed.data.job, parsed.data.client)
      return
    }
    if (event.kind === kinds.Receipt) {
      void payment.acceptReceipt(event).then(
        (r) => (r.ok ? undefined : logger.debug('receipt refused', { id: event.id.slice(0, 12), reason: r.reason })),
        (err: Error) => logger.warn('receipt check failed', { error: err.message }),
      )
    }
  }

  async function publishCapability(): Promise<NostrEvent | undefined> {
    const served = await servedModels(backend, config.models).catch((err: Error) => {
      logger.warn('cannot list backend models', { error: err.message })
      return []
    })
    models = served.map((m) => m.id)
    if (served.length === 0) {
      logger.warn('no model to announce; capability not published (is the backend running and the model pulled?)')
      return undefined
    }
    const content = buildCapabilityContent({ config, models: served, gpus, stream: announced, payment: parameters.paymentTerms })
    const event = await buildCapability(signer, content, { now: nowSec(), ttl: config.capabilityTtl })
    try {
      await pool!.publish(event)
      capabilityId = event.id
      logger.info('capability published', { id: event.id.slice(0, 12), models: models.join(','), stream: announced ?? 'none' })
    } catch (err) {
      logger.warn('capability not accepted by any relay', { error: (err as Error).message })
    }
    return event
  }

  async function heartbeat(): Promise<NostrEvent | undefined> {
    if (!executor || !pool) return undefined
    // A node that had nothing to announce at start (backend down, no model yet) registers as soon as it can.
    if (!capabilityId) await publishCapability().catch((err: Error) => logger.warn('capability not published', { error: err.message }))
    // Jobs a killed daemon left without an end get their error status once a relay can take it (a no-op after that).
    if (pool.status().some((r) => r.connected)) await executor.reportInterrupted()
    const s = executor.stats()
    const content = await collectHeartbeat(
      { backend, models, gpu },
      { slots: s.slots, queue: s.queued, tps: metrics.tps(), ttftMs: metrics.ttftMs(), interval: config.heartbeatInterval },
    )
    backendHealthy = content.backendHealthy
    const event = await buildHeartbeat(signer, content, { now: nowSec() })
    lastHeartbeatAt = nowSec()
    // Awaited (not fire-and-forget) so that once start() resolves the node is visible as live on its relays.
    await pool.publish(event).catch((err: Error) => logger.warn('heartbeat not accepted by any relay', { error: err.message }))
    return event
  }

  const daemon: NodeDaemon = {
    get pubkey() {
      return signer.pubkey
    },
    get streamUrl() {
      return server?.url ?? ''
    },
    statusToken,
    async start() {
      startedAt = nowSec()
      const dbPath = parameters.dbPath ?? (parameters.home ? join(nodeDataDir(parameters.home), 'jobs.sqlite') : ':memory:')
      dedupe = createDedupeStore({ path: dbPath })
      const verify =
        parameters.verify ??
        (await createFastEventVerifier({ onFallback: (line) => logger.warn(line) }))
      pool = createRelayPool({ urls: relays, WebSocket: parameters.WebSocket, logger: logger.child('[relays]') })
      executor = createExecutor({
        signer,
        backend,
        config: {
          price: nodePrice(config),
          maxConcurrency: config.maxConcurrency,
          maxQueue: config.maxQueue,
          maxPromptBytes: config.maxPromptBytes,
          maxOutputTokens: config.maxOutputTokens,
          jobTimeoutMs: config.jobTimeoutMs,
          relayChunkMs: config.relayChunkMs,
          streamFlushMs: config.streamFlushMs,
          models: config.models,
          features: config.features,
        },
        dedupe,
        payment,
        metrics,
        publish,
        sendEphemeral: (e) => void pool?.send(e),
        logger,
        now: () => clock.now(),
        verify,
      })
      server = await startStreamServer({
        host: config.host,
        port: config.port,
        publicUrl: config.publicUrl || undefined,
        authUrls: config.authUrls,
        authLimits: {
          perConnection: { perSecond: config.authRatePerConnection, burst: config.authRatePerConnection * 4 },
          perAddress: { perSecond: config.authRatePerAddress, burst: config.authRatePerAddress * 5 },
          maxEntries: config.authMaxEntries,
          maxPerKey: config.authMaxPerKey,
        },
        statusToken,
        pubkey: signer.pubkey,
        executor,
        payment,
        status: () => daemon.stats(),
        logger: logger.child('[stream]'),
        now: () => clock.now(),
        verify,
      })
      announced = config.announceStream ? config.publicUrl || server.url : null
      gpus = await gpu.detect().catch(() => [])
      sub = pool.subscribe([{ kinds: [kinds.JobRequest, kinds.Receipt, kinds.JobCancel], '#p': [signer.pubkey], since: nowSec() - 300 }], {
        onEvent: onRelayEvent,
        // A forged copy arriving first from one relay must not hide the genuine one from another.
        verify: (event) => isAuthentic(event, verify),
      })
      const connected = await pool.ready({ min: 1, timeoutMs: 5000 })
      if (connected === 0) logger.warn('no relay connected yet; retrying in the background', { relays: relays.length })
      await publishCapability()
      await heartbeat().catch((err: Error) => logger.warn('heartbeat failed', { error: err.message }))
      timers.push(setInterval(() => void heartbeat().catch((err: Error) => logger.warn('heartbeat failed', { error: err.message })), config.heartbeatInterval * 1000))
      timers.push(setInterval(() => void publishCapability().catch((err: Error) => logger.warn('capability refresh failed', { error: err.message })), (config.capabilityTtl * 1000) / 2))
      for (const t of timers) t.unref?.()
      stopWatching = parameters.watchWithdrawals?.()
      logger.info('node started', { stream: server.url, relays: relays.length, watchingWithdrawals: stopWatching !== undefined })
    },
    async stop() {
      stopWatching?.()
      stopWatching = undefined
      for (const t of timers) clearInterval(t)
      timers.length = 0
      sub?.close()
      await executor?.stop()
      await server?.close()
      // Give the last status/result publishes a moment to reach the relays before the sockets close.
      await new Promise((r) => setTimeout(r, 50))
      pool?.close()
      dedupe?.close()
      sub = undefined
      executor = undefined
      server = undefined
      pool = undefined
      dedupe = undefined
    },
    stats() {
      const s = executor?.stats()
      return {
        pubkey: signer.pubkey,
        streamUrl: server?.url ?? '',
        announcedStream: announced,
        startedAt,
        backend: { kind: backend.kind, url: backend.baseUrl, healthy: backendHealthy },
        models,
        price: nodePrice(config),
        slots: s?.slots ?? { free: 0, total: config.maxConcurrency },
        running: s?.running ?? 0,
        queued: s?.queued ?? 0,
        jobs: { done: metrics.jobs, failed: metrics.failures },
        ttftMs: metrics.ttftMs(),
        tps: metrics.tps(),
        relays: pool?.status().map((r) => ({ url: r.url, connected: r.connected })) ?? [],
        lastHeartbeatAt,
        capabilityId,
        cpuMs: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000),
        tokensOut: metrics.tokensOut,
        overheadMs: metrics.overhead(),
      }
    },
    heartbeat,
    publishCapability,
  }
  return daemon
}
