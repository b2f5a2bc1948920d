// Client connections: the transport each one sits on, the per-IP count that rejectConnection hooks judge, and the
// output path that cuts off a client whose unsent output grows past config.maxBufferedBytes.
import { randomBytes } from 'node:crypto'
import type { Logger } from '../src/log.ts'
import type { RelayConfig } from './config.ts'
import { decide, type ConnectionInfo, type RelayHooks } from './hooks.ts'
import { authMessage, noticeMessage } from './messages.ts'
import type { RelayMetrics } from './metrics.ts'
import type { Subscription, SubscriptionIndex } from './subscriptions.ts'

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

export type Connections = {
  /** Registers a connection; returns undefined (after closing it) when a rejectConnection hook refuses it. */
  open(transport: ConnectionTransport): RelayConnection | undefined
  /** Forgets the connection and its subscriptions (the transport is closed by whoever calls this). */
  close(conn: RelayConnection): void
  /** Sends unless the connection is closed; cuts off a slow consumer. */
  send(conn: RelayConnection, text: string | Buffer): void
  all(): RelayConnection[]
  /** Refuses new connections from now on. */
  stopAccepting(): void
}

export type CreateConnectionsParameters = {
  config: RelayConfig
  hooks: Pick<RelayHooks, 'rejectConnection'>
  metrics: RelayMetrics
  logger: Logger
  subscriptions: SubscriptionIndex<RelayConnection>
}

export function createConnections({ config, hooks, metrics, logger, subscriptions }: CreateConnectionsParameters): Connections {
  const connections = new Set<RelayConnection>()
  const openPerIp = new Map<string, number>()
  let nextConnId = 1
  let accepting = true

  const close = (conn: RelayConnection) => {
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

  const cutOff = (conn: RelayConnection, why: string) => {
    if (conn.closed) return
    logger.warn(`[conn ${conn.id}] closing: ${why}`)
    metrics.slowConsumersCut++
    close(conn)
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

  const open = (transport: ConnectionTransport): RelayConnection | undefined => {
    const openFromIp = openPerIp.get(transport.ip) ?? 0
    const refused = decide(hooks.rejectConnection, { ip: transport.ip, openFromIp })
    if (refused) {
      metrics.connectionsRefused++
      const reason = refused.action === 'reject' ? refused.reason : ''
      if (reason) transport.send(noticeMessage(reason))
      transport.close(1008, reason.slice(0, 120))
      return undefined
    }
    if (!accepting) {
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

  return {
    open,
    close,
    send,
    all: () => [...connections],
    stopAccepting() {
      accepting = false
    },
  }
}
