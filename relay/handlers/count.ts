// COUNT (NIP-45): the same filter judgement and query sources as REQ, answered with one number.
import type { RelayConnection } from '../connection.ts'
import type { RelayContext } from '../context.ts'
import type { Filter } from '../filters.ts'
import { closedMessage, countMessage } from '../messages.ts'
import { countReject } from '../metrics.ts'
import { countEvents, judgeFilters } from '../query.ts'

export function handleCount(ctx: RelayContext, conn: RelayConnection, subId: string, filters: Filter[]): void {
  const decision = judgeFilters(ctx, conn, filters)
  if (decision?.action === 'reject') {
    countReject(ctx.metrics, decision.reason)
    ctx.connections.send(conn, closedMessage(subId, decision.reason))
    return
  }
  ctx.metrics.reqs++
  if (decision) countReject(ctx.metrics, 'shadow:')
  ctx.connections.send(conn, countMessage(subId, decision ? 0 : countEvents(ctx, filters)))
}
