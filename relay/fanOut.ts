// The fan-out stage: an accepted event goes to every live subscription whose filters match it.
import type { NostrEvent } from '../src/protocol/event.ts'
import type { RelayContext } from './context.ts'
import { eventMessage } from './messages.ts'

export function fanOut(ctx: RelayContext, event: NostrEvent, json: string): void {
  const restricted = ctx.restrictedKinds.has(event.kind)
  // Subscribers often share a subscription id: encode each distinct message to bytes once.
  const encoded = new Map<string, Buffer>()
  for (const sub of ctx.subscriptions.match(event)) {
    if (restricted && sub.conn.authed.size === 0) continue
    let bytes = encoded.get(sub.subId)
    if (!bytes) encoded.set(sub.subId, (bytes = Buffer.from(eventMessage(sub.subId, json))))
    ctx.metrics.eventsSent++
    ctx.connections.send(sub.conn, bytes)
  }
}
