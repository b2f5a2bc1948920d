// Why a router has no candidate for a query: the nodes that would qualify are all busy (they will have room
// again, so the caller should retry), or no node qualifies at all (unknown model, price limit, filters). The two
// are answered differently (nips/routing.md, "Errors"): `busy` with Retry-After, and "no node serves this".
import { room } from './liveness.ts'
import { isEligible } from './rank.ts'
import type { RouteQuery, RoutingNode } from './score.ts'

/** Longest Retry-After given: queues drain within about a job, well before most heartbeat intervals end. */
export const maxRetryAfterSeconds = 60

export type Saturation = {
  /** Nodes that qualify for the query but have no room by their newest heartbeat. */
  busy: number
  /** Seconds until the soonest of their next heartbeats (1 to maxRetryAfterSeconds): when a router learns of room. */
  retryAfterSeconds: number
}

/** Undefined when some node has room, or when none qualifies but for room (then the answer is not "busy"). */
export function saturation(nodes: Iterable<RoutingNode>, query: RouteQuery, now: number): Saturation | undefined {
  let busy = 0
  let soonest = Infinity
  for (const node of nodes) {
    if (!isEligible(node, query, now)) continue
    if (room(node) > 0) return undefined
    busy++
    const hb = node.heartbeat!
    soonest = Math.min(soonest, hb.createdAt + hb.interval - now)
  }
  if (busy === 0) return undefined
  return { busy, retryAfterSeconds: Math.min(maxRetryAfterSeconds, Math.max(1, Math.ceil(soonest))) }
}
