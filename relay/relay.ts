// The relay core, independent of sockets: connections are objects with `send`/`close`, messages are strings.
// Each client message goes through separate stages: parse -> (event) shape/id -> policy -> signature -> write
// -> fan-out, or (REQ) filter policy -> query -> subscribe. server.ts wires it to node:http + ws.
import { randomBytes } from 'node:crypto'
import { getEventHash } from 'nostr-tools/pure'
import { checkShape, type NostrEvent } from '../src/protocol/event.ts'
import { loadWasmVerifier, verifySignature, type SignatureVerifier } from '../src/protocol/verify.ts'
import { silentLogger, type Logger } from '../src/log.ts'
import { resolveRelayConfig, type RelayConfig } from './config.ts'
import { isEmptyFilter, type Filter } from './filters.ts'
import { ClientAuth, EventDeletion, kindClass, kindRanges } from '../src/protocol/kinds.ts'
import type { ConnectionInfo, PolicyDecision, RelayHooks } from './hooks.ts'
import {
  authMessage,
  closedMessage,
  countMessage,
  eoseMessage,
  eventMessage,
  noticeMessage,
  okMessage,
  parseClientMessage,
  serializeEvent,
  type ClientMessage,
} from './messages.ts'
import { countReject, createMetrics, renderMetrics, type RelayMetrics } from './metrics.ts'
import { defaultPolicies } from './policies/defaultPolicies.ts'
import type { EventStore, StoredEvent, WriteOutcome } from './store/types.ts'
import { createSubscriptionIndex, type Subscription } from './subscriptions.ts'
import { createWriter } from './writer.ts'
import { createVerifyPool, resolveVerifyThreads, type VerifyPool } from './verifyPool.ts'

/** The transport side of one client connection. */
export type ConnectionTransport = {
  ip: string
  /** Host header of the upgrade request, used to check NIP-42 `relay` tags when no relayUrl is configured. */
  host?: string | undefined
  /** Sends one text frame (a Buffer holds its UTF-8 bytes). */
  send(text: string | Buffer): void
  /** Bytes queued but not yet written to the socket. */
  bufferedAmount(): number
  close(code: number, reason: string): void
  /** Stop / restart reading from the client (backpressure when it sends faster than the relay answers). */
  pause?: (() => void) | undefined
  resume?: (() => void) | undefined
}

export type RelayConnection = ConnectionInfo & {
  readonly transport: ConnectionTransport
  readonly challenge: string
  readonly authed: Set<string>
  readonly subs: Map<string, Subscription<RelayConnection>>
  closed: boolean
  /** EVENT messages being verified/written; later REQ/COUNT/CLOSE/AUTH wait for them. */
  readonly pendingEvents: Set<Promise<void>>
  /** Serializes the non-EVENT messages of the connection. */
  chain: Promise<void>
  /** Messages received and not yet answered; reading pauses above config.maxPendingPerConnection. */
  backlog: number
  paused: boolean
}

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

/** libsecp256k1 (WASM) on the main thread once loaded; @noble/curves if it cannot load. */
function mainThreadVerifier(logger: Logger): (event: NostrEvent) => boolean | Promise<boolean> {
  let fast: SignatureVerifier | undefined
  const loading = loadWasmVerifier().then(
    (v) => (fast = v),
    (err: unknown) => {
      logger.warn('libsecp256k1 (WASM) unavailable, verifying with @noble/curves', { error: (err as Error).message })
      return (fast = verifySignature)
    },
  )
  return (event) => (fast ? fast(event) : loading.then((v) => v(event)))
}

export function createRelay(parameters: CreateRelayParameters): Relay {
  const { store, clock = Date.now, logger = silentLogger } = parameters
  const config = resolveRelayConfig(parameters.config)
  const threads = parameters.verify ? 0 : resolveVerifyThreads(config.verifyThreads)
  const pool: VerifyPool | undefined = threads > 0 ? createVerifyPool({ threads }) : undefined
  const verify = parameters.verify ?? pool?.verify ?? mainThreadVerifier(logger)
  const policies = parameters.policies ?? defaultPolicies(config, { now: clock })
  const metrics = createMetrics()
  const writer = createWriter({ store, now: clock, batchMax: config.writeBatchMax })
  const subscriptions = createSubscriptionIndex<RelayConnection>()
  const connections = new Set<RelayConnection>()
  const openPerIp = new Map<string, number>()
  const pendingWrites = new Set<Promise<unknown>>()
  let nextConnId = 1
  let closing = false
  const nowSec = () => Math.floor(clock() / 1000)

  const hooks: RelayHooks = {
    rejectEvent: [...policies.rejectEvent],
    rejectFilter: [...policies.rejectFilter],
    rejectConnection: [],
    storeEvent: [(write) => writer.enqueue(write)],
    queryEvents: [(filters, now) => store.query(filters, now)],
    deleteEvents: [],
    onEventSaved: [],
  }
  if (config.maxConnectionsPerIp > 0) {
    hooks.rejectConnection.push(({ openFromIp }) =>
      openFromIp >= config.maxConnectionsPerIp ? `rate-limited: more than ${config.maxConnectionsPerIp} connections from your address` : undefined,
    )
  }

  const restrictedKinds = new Set(config.authRequiredKinds)

  // ---- output -------------------------------------------------------------------------------------------
  const cutOff = (conn: RelayConnection, why: string) => {
    if (conn.closed) return
    logger.warn(`[conn ${conn.id}] closing: ${why}`)
    metrics.slowConsumersCut++
    closeConnection(conn)
    try {
      conn.transport.close(1008, why.slice(0, 120))
    } catch {
      // already gone
    }
  }

  const send = (conn: RelayConnection, text: string | Buffer) => {
    if (conn.closed) return
    conn.transport.send(text)
    if (conn.transport.bufferedAmount() > config.maxBufferedBytes) cutOff(conn, 'slow consumer: send buffer overflow')
  }

  // ---- fan-out stage --------------------------------------------------------------------------------------
  const fanOut = (event: NostrEvent, json: string) => {
    const restricted = restrictedKinds.has(event.kind)
    // Subscribers often share a subscription id: encode each distinct message to bytes once.
    const encoded = new Map<string, Buffer>()
    for (const sub of subscriptions.match(event)) {
      if (restricted && sub.conn.authed.size === 0) continue
      let bytes = encoded.get(sub.subId)
      if (!bytes) encoded.set(sub.subId, (bytes = Buffer.from(eventMessage(sub.subId, json))))
      metrics.eventsSent++
      send(sub.conn, bytes)
    }
  }

  // ---- event stages -----------------------------------------------------------------------------------------
  type EventVerdict = { type: 'reject'; id: string | undefined; reason: string } | { type: 'shadow'; id: string } | { type: 'accept'; event: NostrEvent }

  const checkEvent = async (input: unknown, conn: RelayConnection, size: number): Promise<EventVerdict> => {
    const rawId = typeof input === 'object' && input !== null ? (input as { id?: unknown }).id : undefined
    const id = typeof rawId === 'string' && /^[0-9a-f]{64}$/.test(rawId) ? rawId : undefined
    const shape = checkShape(input)
    if (shape) return { type: 'reject', id, reason: shape.reason }
    const event = input as NostrEvent
    if (getEventHash(event) !== event.id) return { type: 'reject', id: event.id, reason: 'invalid: event id does not match the hash of its content' }
    // NIP-42: AUTH events are never published, stored or broadcast.
    if (event.kind === ClientAuth) return { type: 'reject', id: event.id, reason: `invalid: kind ${ClientAuth} events are only accepted in AUTH messages` }
    const ctx = { conn, now: nowSec(), size }
    let shadow = false
    for (const hook of hooks.rejectEvent) {
      const decision: PolicyDecision | undefined = hook(event, ctx)
      if (decision?.action === 'reject') return { type: 'reject', id: event.id, reason: decision.reason }
      if (decision?.action === 'shadowReject') shadow = true
    }
    if (!(await verify(event))) return { type: 'reject', id: event.id, reason: 'invalid: signature does not verify' }
    return shadow ? { type: 'shadow', id: event.id } : { type: 'accept', event }
  }

  const storeEvent = async (event: NostrEvent, json: string): Promise<WriteOutcome> => {
    const write = { event, json }
    const [first, ...rest] = hooks.storeEvent
    const outcome = first ? await first(write) : ({ status: 'saved' } as WriteOutcome)
    for (const hook of rest) await hook(write)
    return outcome
  }

  const handleEvent = async (conn: RelayConnection, input: unknown, size: number) => {
    metrics.eventsReceived++
    const verdict = await checkEvent(input, conn, size)
    if (conn.closed) return
    if (verdict.type === 'reject') {
      countReject(metrics, verdict.reason)
      if (verdict.id) send(conn, okMessage(verdict.id, false, verdict.reason))
      else send(conn, noticeMessage(verdict.reason))
      return
    }
    if (verdict.type === 'shadow') {
      countReject(metrics, 'shadow:')
      send(conn, okMessage(verdict.id, true, ''))
      return
    }
    const event = verdict.event
    const json = serializeEvent(event)
    if (kindClass(event.kind) === 'ephemeral') {
      metrics.eventsEphemeral++
      send(conn, okMessage(event.id, true, ''))
      fanOut(event, json)
      return
    }
    let outcome: WriteOutcome
    const pending = storeEvent(event, json)
    pendingWrites.add(pending)
    try {
      outcome = await pending
    } catch (err) {
      logger.error(`[conn ${conn.id}] write failed`, { id: event.id, error: (err as Error).message })
      countReject(metrics, 'error:')
      send(conn, okMessage(event.id, false, 'error: could not store the event'))
      return
    } finally {
      pendingWrites.delete(pending)
    }
    if (outcome.status === 'saved') {
      metrics.eventsSaved++
      send(conn, okMessage(event.id, true, ''))
      if (event.kind === EventDeletion) for (const hook of hooks.deleteEvents) hook(event)
      for (const hook of hooks.onEventSaved) hook(event, json)
      fanOut(event, json)
    } else if (outcome.status === 'duplicate') {
      send(conn, okMessage(event.id, true, outcome.reason))
    } else {
      countReject(metrics, outcome.reason)
      send(conn, okMessage(event.id, false, outcome.reason))
    }
  }

  // ---- REQ / COUNT stages ----------------------------------------------------------------------------------
  const clampLimits = (filters: readonly Filter[]): Filter[] =>
    filters.map((f) => {
      const limit = f.limit === undefined ? config.defaultLimit : Math.min(f.limit, config.maxLimit)
      return limit === f.limit ? f : { ...f, limit }
    })

  const rejectFilters = (conn: RelayConnection, filters: readonly Filter[]): string | undefined => {
    const ctx = { conn, now: nowSec() }
    for (const hook of hooks.rejectFilter) {
      const reason = hook(filters, ctx)
      if (reason !== undefined) return reason
    }
    return undefined
  }

  const queryEvents = (filters: readonly Filter[]): StoredEvent[] => {
    const live = filters.filter((f) => !isEmptyFilter(f))
    if (live.length === 0) return []
    // Commit queued writes first, so a REQ sees every event acknowledged before it.
    if (writer.pending > 0) writer.flushNow()
    const now = nowSec()
    if (hooks.queryEvents.length === 1) return hooks.queryEvents[0]!(live, now)
    const seen = new Map<string, StoredEvent>()
    for (const hook of hooks.queryEvents) for (const e of hook(live, now)) seen.set(e.id, e)
    return [...seen.values()]
  }

  const handleReq = (conn: RelayConnection, subId: string, filters: Filter[]) => {
    const refused = rejectFilters(conn, filters)
    if (refused) {
      countReject(metrics, refused)
      send(conn, closedMessage(subId, refused))
      return
    }
    const existing = conn.subs.get(subId)
    if (!existing && conn.subs.size >= config.maxSubscriptions) {
      const reason = `rate-limited: too many open subscriptions (max ${config.maxSubscriptions})`
      countReject(metrics, reason)
      send(conn, closedMessage(subId, reason))
      return
    }
    if (existing) {
      subscriptions.remove(existing)
      conn.subs.delete(subId)
    }
    metrics.reqs++
    const events = queryEvents(clampLimits(filters))
    const hideRestricted = restrictedKinds.size > 0 && conn.authed.size === 0
    for (const e of events) {
      if (hideRestricted && restrictedKinds.has(e.kind)) continue
      metrics.eventsSent++
      send(conn, eventMessage(subId, e.json))
      if (conn.closed) return
    }
    send(conn, eoseMessage(subId))
    const sub: Subscription<RelayConnection> = { conn, subId, filters }
    conn.subs.set(subId, sub)
    subscriptions.add(sub)
  }

  const handleCount = (conn: RelayConnection, subId: string, filters: Filter[]) => {
    const refused = rejectFilters(conn, filters)
    if (refused) {
      countReject(metrics, refused)
      send(conn, closedMessage(subId, refused))
      return
    }
    metrics.reqs++
    const live = filters.filter((f) => !isEmptyFilter({ ...f, limit: undefined }))
    if (writer.pending > 0) writer.flushNow()
    send(conn, countMessage(subId, live.length === 0 ? 0 : store.count(live, nowSec())))
  }

  // ---- AUTH (NIP-42) ------------------------------------------------------------------------------------
  const relayHostMatches = (conn: RelayConnection, tagValue: string): boolean => {
    let url: URL
    try {
      url = new URL(tagValue)
    } catch {
      return false
    }
    if (config.relayUrl) {
      try {
        return new URL(config.relayUrl).host === url.host
      } catch {
        return false
      }
    }
    return conn.transport.host === undefined || conn.transport.host === url.host
  }

  const handleAuth = async (conn: RelayConnection, input: unknown) => {
    const shape = checkShape(input)
    const rawId = typeof input === 'object' && input !== null ? (input as { id?: unknown }).id : undefined
    if (shape) {
      if (typeof rawId === 'string') send(conn, okMessage(rawId, false, shape.reason))
      else send(conn, noticeMessage(shape.reason))
      return
    }
    const event = input as NostrEvent
    const fail = (reason: string) => {
      countReject(metrics, reason)
      send(conn, okMessage(event.id, false, reason))
    }
    if (event.kind !== ClientAuth) return fail(`invalid: AUTH event must be kind ${ClientAuth}`)
    if (Math.abs(event.created_at - nowSec()) > 600) return fail('invalid: AUTH event created_at is more than 10 minutes off')
    const challenge = event.tags.find((t) => t[0] === 'challenge')?.[1]
    if (challenge !== conn.challenge) return fail('invalid: AUTH challenge does not match')
    const relayTag = event.tags.find((t) => t[0] === 'relay')?.[1]
    if (relayTag === undefined || !relayHostMatches(conn, relayTag)) return fail('invalid: AUTH relay tag does not name this relay')
    if (getEventHash(event) !== event.id || !(await verify(event))) return fail('invalid: AUTH event id or signature does not verify')
    conn.authed.add(event.pubkey)
    logger.debug(`[conn ${conn.id}] authenticated`, { pubkey: event.pubkey })
    send(conn, okMessage(event.id, true, ''))
  }

  // ---- dispatch -------------------------------------------------------------------------------------------
  const dispatch = async (conn: RelayConnection, msg: ClientMessage, size: number) => {
    switch (msg.type) {
      case 'event':
        return handleEvent(conn, msg.event, size)
      case 'req':
        return handleReq(conn, msg.subId, msg.filters)
      case 'count':
        return handleCount(conn, msg.subId, msg.filters)
      case 'close': {
        const sub = conn.subs.get(msg.subId)
        if (sub) {
          subscriptions.remove(sub)
          conn.subs.delete(msg.subId)
        }
        return undefined
      }
      case 'auth':
        return handleAuth(conn, msg.event)
      case 'invalid': {
        countReject(metrics, msg.reason)
        if (msg.verb === 'EVENT' && msg.eventId) send(conn, okMessage(msg.eventId, false, msg.reason))
        else if ((msg.verb === 'REQ' || msg.verb === 'COUNT') && msg.subId) send(conn, closedMessage(msg.subId, msg.reason))
        else send(conn, noticeMessage(msg.reason))
        return undefined
      }
    }
  }

  const handleMessage = async (conn: RelayConnection, text: string) => {
    if (conn.closed) return
    const size = Buffer.byteLength(text)
    try {
      if (size > config.maxMessageBytes) {
        const reason = `invalid: message is ${size} bytes, limit is ${config.maxMessageBytes}`
        countReject(metrics, reason)
        const id = /^\s*\[\s*"EVENT"\s*,\s*\{[^]*?"id"\s*:\s*"([0-9a-f]{64})"/.exec(text.slice(0, 4096))?.[1]
        send(conn, id ? okMessage(id, false, reason) : noticeMessage(reason))
        return
      }
      const msg = parseClientMessage(text, { maxFilters: config.maxFilters, maxSubIdLength: config.maxSubIdLength })
      conn.backlog++
      if (conn.backlog >= config.maxPendingPerConnection && !conn.paused && conn.transport.pause) {
        conn.paused = true
        conn.transport.pause()
      }
      // EVENTs are checked concurrently (signatures in the pool); any other message waits for the EVENTs and
      // messages before it, so a REQ sees the writes its connection sent first and AUTH applies to what follows.
      if (msg.type === 'event') {
        const p: Promise<void> = conn.chain
          .then(() => dispatch(conn, msg, size))
          .catch((err: unknown) => internalError(conn, err))
          .finally(() => settle(conn))
        conn.pendingEvents.add(p)
        void p.finally(() => conn.pendingEvents.delete(p))
        await p
      } else {
        const before = [...conn.pendingEvents]
        conn.chain = conn.chain
          .then(() => Promise.all(before))
          .then(() => dispatch(conn, msg, size))
          .catch((err: unknown) => internalError(conn, err))
          .finally(() => settle(conn))
        await conn.chain
      }
    } catch (err) {
      internalError(conn, err)
    }
  }

  const settle = (conn: RelayConnection) => {
    conn.backlog--
    if (conn.paused && conn.backlog <= config.maxPendingPerConnection / 2) {
      conn.paused = false
      conn.transport.resume?.()
    }
  }

  function internalError(conn: RelayConnection, err: unknown) {
    logger.error(`[conn ${conn.id}] internal error`, { error: (err as Error).message })
    send(conn, noticeMessage('error: internal error while handling the message'))
  }

  // ---- connections ----------------------------------------------------------------------------------------
  const openConnection = (transport: ConnectionTransport): RelayConnection | undefined => {
    const openFromIp = openPerIp.get(transport.ip) ?? 0
    for (const hook of hooks.rejectConnection) {
      const reason = hook({ ip: transport.ip, openFromIp })
      if (reason !== undefined) {
        metrics.connectionsRefused++
        transport.send(noticeMessage(reason))
        transport.close(1008, reason.slice(0, 120))
        return undefined
      }
    }
    if (closing) {
      transport.close(1001, 'relay shutting down')
      return undefined
    }
    const conn: RelayConnection = {
      id: nextConnId++,
      ip: transport.ip,
      transport,
      challenge: randomBytes(16).toString('hex'),
      authed: new Set(),
      subs: new Map(),
      closed: false,
      pendingEvents: new Set(),
      chain: Promise.resolve(),
      backlog: 0,
      paused: false,
    }
    connections.add(conn)
    openPerIp.set(transport.ip, openFromIp + 1)
    metrics.connectionsOpen++
    metrics.connectionsTotal++
    logger.debug(`[conn ${conn.id}] open`, { ip: transport.ip })
    send(conn, authMessage(conn.challenge))
    return conn
  }

  function closeConnection(conn: RelayConnection) {
    if (conn.closed) return
    conn.closed = true
    for (const sub of conn.subs.values()) subscriptions.remove(sub)
    conn.subs.clear()
    connections.delete(conn)
    const n = (openPerIp.get(conn.ip) ?? 1) - 1
    if (n <= 0) openPerIp.delete(conn.ip)
    else openPerIp.set(conn.ip, n)
    metrics.connectionsOpen--
    logger.debug(`[conn ${conn.id}] closed`)
  }

  const info = () => ({
    name: config.name,
    description: config.description,
    ...(config.contact ? { contact: config.contact } : {}),
    software: 'https://github.com/infernet/infernet (relay/)',
    version: '0.1.0',
    supported_nips: [1, 9, 11, 13, 40, 42, 45, 70],
    limitation: {
      max_message_length: config.maxMessageBytes,
      max_subscriptions: config.maxSubscriptions,
      max_filters: config.maxFilters,
      max_limit: config.maxLimit,
      default_limit: config.defaultLimit,
      max_subid_length: config.maxSubIdLength,
      max_event_tags: config.maxEventTags,
      max_content_length: config.maxContentLength,
      min_pow_difficulty: config.minPowDifficulty,
      auth_required: config.authRequiredToWrite,
      payment_required: false,
      restricted_writes: config.authRequiredToWrite || config.minPowDifficulty > 0,
      created_at_lower_limit: config.createdAtPastSeconds,
      created_at_upper_limit: config.createdAtFutureSeconds,
    },
    retention: [{ kinds: [[...kindRanges.ephemeral]], time: 0 }],
    infernet: {
      events_per_second_per_connection: config.eventsPerSecondPerConnection,
      events_per_second_per_ip: config.eventsPerSecondPerIp,
      reqs_per_second_per_connection: config.reqsPerSecondPerConnection,
      max_buffered_bytes: config.maxBufferedBytes,
      auth_required_kinds: config.authRequiredKinds,
    },
  })

  const purgeTimer =
    config.expirationPurgeSeconds > 0
      ? setInterval(() => {
          try {
            const n = store.purgeExpired(nowSec())
            if (n > 0) logger.debug('purged expired events', { count: n })
          } catch (err) {
            logger.error('expiration purge failed', { error: (err as Error).message })
          }
        }, config.expirationPurgeSeconds * 1000)
      : undefined
  purgeTimer?.unref()

  return {
    config,
    hooks,
    metrics,
    store,
    openConnection,
    handleMessage,
    closeConnection,
    info,
    renderMetrics: () => renderMetrics(metrics, store.stats(), subscriptions.size),
    async close() {
      if (closing) return
      closing = true
      if (purgeTimer) clearInterval(purgeTimer)
      // Finish what is in flight: signature checks, then the writes they lead to.
      await Promise.allSettled([...connections].flatMap((c) => [...c.pendingEvents]))
      writer.flushNow()
      await Promise.allSettled([...pendingWrites])
      // Let the OK messages of those writes go out before the sockets close.
      await new Promise((resolve) => setImmediate(resolve))
      for (const conn of [...connections]) {
        closeConnection(conn)
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
