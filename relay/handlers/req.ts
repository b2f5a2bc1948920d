// REQ: judge the filters, replace a subscription reusing the id, send the stored matches and EOSE, then keep the
// subscription for fan-out.
import type { RelayConnection } from '../connection.ts'
import type { RelayContext } from '../context.ts'
import type { Filter } from '../filters.ts'
import { closedMessage, eoseMessage, eventMessage } from '../messages.ts'
import { countReject } from '../metrics.ts'
import { clampLimits, judgeFilters, queryEvents } from '../query.ts'
import type { Subscription } from '../subscriptions.ts'

export function handleReq(ctx: RelayContext, conn: RelayConnection, subId: string, filters: Filter[]): void {
  const { config, connections, metrics, subscriptions } = ctx
  const decision = judgeFilters(ctx, conn, filters)
  if (decision?.action === 'reject') {
    countReject(metrics, decision.reason)
    connections.send(conn, closedMessage(subId, decision.reason))
    return
  }
  const existing = conn.subs.get(subId)
  if (!existing && conn.subs.size >= config.maxSubscriptions) {
    const reason = `rate-limited: too many open subscriptions (max ${config.maxSubscriptions})`
    countReject(metrics, reason)
    connections.send(conn, closedMessage(subId, reason))
    return
  }
  if (existing) {
    subscriptions.remove(existing)
    conn.subs.delete(subId)
  }
  metrics.reqs++
  if (decision) {
    countReject(metrics, 'shadow:')
    connections.send(conn, eoseMessage(subId))
    return
  }
  const events = queryEvents(ctx, clampLimits(ctx, filters))
  const hideRestricted = ctx.restrictedKinds.size > 0 && conn.authed.size === 0
  for (const e of events) {
    if (hideRestricted && ctx.restrictedKinds.has(e.kind)) continue
    metrics.eventsSent++
    connections.send(conn, eventMessage(subId, e.json))
    if (conn.closed) return
  }
  connections.send(conn, eoseMessage(subId))
  const sub: Subscription<RelayConnection> = { conn, subId, filters }
  conn.subs.set(subId, sub)
  subscriptions.add(sub)
}
