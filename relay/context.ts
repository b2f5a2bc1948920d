// What every message handler (relay/handlers/*) works with: one object built by createRelay, so a handler is a
// plain function of (relay context, connection, message) and the handlers never import each other or relay.ts.
import type { NostrEvent } from '../src/protocol/event.ts'
import type { Logger } from '../src/log.ts'
import type { RelayConfig } from './config.ts'
import type { Connections, RelayConnection } from './connection.ts'
import type { RelayHooks } from './hooks.ts'
import type { RelayMetrics } from './metrics.ts'
import type { SubscriptionIndex } from './subscriptions.ts'
import type { Writer } from './writer.ts'

export type RelayContext = {
  readonly config: RelayConfig
  readonly hooks: RelayHooks
  readonly metrics: RelayMetrics
  readonly logger: Logger
  readonly connections: Connections
  readonly subscriptions: SubscriptionIndex<RelayConnection>
  readonly writer: Writer
  /** Writes not yet acknowledged; close() waits for them. */
  readonly pendingWrites: Set<Promise<unknown>>
  /** NIP-42: kinds only authenticated connections may read (config.authRequiredKinds). */
  readonly restrictedKinds: ReadonlySet<number>
  verify(event: NostrEvent): boolean | Promise<boolean>
  /** Unix seconds. */
  now(): number
}
