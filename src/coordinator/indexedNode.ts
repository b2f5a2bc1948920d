// What the coordinator knows about one node: its newest valid capability and heartbeat (both as parsed data and
// as the signed events, which the API hands out so clients can re-verify them) and its measured job statistics.
// Routing reads it as a core RoutingNode (src/routing/); the extra fields are this index's bookkeeping.
import type { NostrEvent } from '../protocol/event.ts'
import type { Offer } from '../routing/offer.ts'
import type { RoutingNode } from '../routing/score.ts'

export type IndexedNode = RoutingNode & {
  npub: string
  capabilityEvent: NostrEvent
  heartbeatEvent: NostrEvent | undefined
  /** capability models by id, prices parsed once (the index files the node under each of them). */
  offers: Map<string, Offer>
  /** Index generation of the node's last change (see MarketIndex.touch). */
  version: number
}
