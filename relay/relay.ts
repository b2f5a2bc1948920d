// The relay core, independent of sockets: connections are objects with `send`/`close`, messages are strings.
// createRelay wires the stages (intake.ts -> handlers/* -> writer.ts -> fanOut.ts) and the hook arrays they run;
// server.ts wires it to node:http + ws.
import type { NostrEvent } from '../src/protocol/event.ts'
import { addonPath } from '../src/schnorr/addon.ts'
import type { SchnorrBackend } from '../src/schnorr/backend.ts'
import { loadFastestSchnorr, tryNativeSchnorr } from '../src/schnorr/fastest.ts'
import { silentLogger, type Logger } from '../src/log.ts'
import { resolveRelayConfig, type RelayConfig } from './config.ts'
import { createConnections, type ConnectionTransport, type RelayConnection } from './connection.ts'
import type { RelayContext } from './context.ts'
import { fanOut } from './fanOut.ts'
import { reject, type RelayHooks } from './hooks.ts'
import { relayInfo } from './info.ts'
import { handleMessage } from './intake.ts'
import { createMetrics, renderMetrics, type RelayMetrics } from './metrics.ts'
import { defaultPolicies } from './policies/defaultPolicies.ts'
import type { EventStore } from './store/types.ts'
import { createSubscriptionIndex } from './subscriptions.ts'
import { createWriter } from './writer.ts'
import { createVerifyPool, resolveVerifyThreads, type VerifyPool } from './verifyPool.ts'

export type CreateRelayParameters = {
  store: EventStore
  config?: Partial<RelayConfig> | undefined
  /** Replaces defaultPolicies(config) when given. */
  policies?: Pick<RelayHooks, 'rejectEvent' | 'rejectFilter'> | undefined
  /** Milliseconds since the epoch. */
  clock?: (() => number) | undefined
  logger?: Logger | undefined
  /** Schnorr check of sig over id; defaults to a worker pool (config.verifyThreads) or the main thread. */
  verify?: ((event: NostrEvent) => boolean | Promise<boolean>) | undefined
}

export type Relay = {
  readonly config: RelayConfig
  readonly hooks: RelayHooks
  readonly metrics: RelayMetrics
  readonly store: EventStore
  /** Registers a connection; returns undefined (after closing it) when a rejectConnection hook refuses it. */
  openConnection(transport: ConnectionTransport): RelayConnection | undefined
  handleMessage(conn: RelayConnection, text: string): Promise<void>
  closeConnection(conn: RelayConnection): void
  /** The NIP-11 document. */
  info(): Record<string, unknown>
  renderMetrics(): string
  /** Commits queued writes, closes every connection with 1001 and the store. */
  close(): Promise<void>
}

/** Native libsecp256k1 on the main thread at once when built; else the WASM once loaded (or @noble/curves), said in one log line. */
function mainThreadVerifier(native: SchnorrBackend | undefined, logger: Logger): (event: NostrEvent) => boolean | Promise<boolean> {
  if (native) return native.verify
  let fast: SchnorrBackend['verify'] | undefined
  const loading = loadFastestSchnorr({ onFallback: (line) => logger.warn(line) }).then((backend) => (fast = backend.verify))
  return (event) => (fast ? fast(event) : loading.then((v) => v(event)))
}

/** NIP-40 purge on a timer; query-time checks already hide expired events, this reclaims their space. */
function startPurge(store: EventStore, config: RelayConfig, now: () => number, logger: Logger): (() => void) | undefined {
  if (config.expirationPurgeSeconds <= 0) return undefined
  const timer = setInterval(() => {
    try {
      const n = store.purgeExpired(now())
      if (n > 0) logger.debug('purged expired events', { count: n })
    } catch (err) {
      logger.error('expiration purge failed', { error: (err as Error).message })
    }
  }, config.expirationPurgeSeconds * 1000)
  timer.unref()
  return () => clearInterval(timer)
}

export function createRelay(parameters: CreateRelayParameters): Relay {
  const { store, clock = Date.now, logger = silentLogger } = parameters
  const config = resolveRelayConfig(parameters.config)
  const threads = parameters.verify ? 0 : resolveVerifyThreads(config.verifyThreads)
  const native = parameters.verify ? undefined : tryNativeSchnorr()
  // Workers load the same native build when this thread could; each makes its own libsecp256k1 context.
  const pool: VerifyPool | undefined = threads > 0 ? createVerifyPool({ threads, addon: native ? addonPath() : undefined }) : undefined
  const policies = parameters.policies ?? defaultPolicies(config, { now: clock })
  const metrics = createMetrics()
  const writer = createWriter({ store, now: clock, batchMax: config.writeBatchMax })
  const subscriptions = createSubscriptionIndex<RelayConnection>()
  const now = () => Math.floor(clock() / 1000)

  const hooks: RelayHooks = {
    rejectEvent: [...policies.rejectEvent],
    rejectFilter: [...policies.rejectFilter],
    rejectConnection: [],
    storeEvent: [(write) => writer.enqueue(write)],
    queryEvents: [store],
    onEventSaved: [],
  }
  if (config.maxConnectionsPerIp > 0) {
    hooks.rejectConnection.push(({ openFromIp }) =>
      openFromIp >= config.maxConnectionsPerIp ? reject(`rate-limited: more than ${config.maxConnectionsPerIp} connections from your address`) : undefined,
    )
  }
  const connections = createConnections({ config, hooks, metrics, logger, subscriptions })
  const ctx: RelayContext = {
    config,
    hooks,
    metrics,
    logger,
    connections,
    subscriptions,
    writer,
    pendingWrites: new Set(),
    restrictedKinds: new Set(config.authRequiredKinds),
    verify: parameters.verify ?? pool?.verify ?? mainThreadVerifier(native, logger),
    now,
  }
  hooks.onEventSaved.push((event, json) => fanOut(ctx, event, json))
  const stopPurge = startPurge(store, config, now, logger)
  let closing = false

  return {
    config,
    hooks,
    metrics,
    store,
    openConnection: connections.open,
    handleMessage: (conn, text) => handleMessage(ctx, conn, text),
    closeConnection: connections.close,
    info: () => relayInfo(config),
    renderMetrics: () => renderMetrics(metrics, store.stats(), subscriptions.size),
    async close() {
      if (closing) return
      closing = true
      connections.stopAccepting()
      stopPurge?.()
      // Finish what is in flight: signature checks, then the writes they lead to.
      await Promise.allSettled(connections.all().flatMap((c) => [...c.pendingEvents]))
      writer.flushNow()
      await Promise.allSettled([...ctx.pendingWrites])
      // Let the OK messages of those writes go out before the sockets close.
      await new Promise((resolve) => setImmediate(resolve))
      for (const conn of connections.all()) {
        connections.close(conn)
        try {
          conn.transport.close(1001, 'relay shutting down')
        } catch {
          // already gone
        }
      }
      store.close()
      await pool?.close()
    },
  }
}
