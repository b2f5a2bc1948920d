// The in-memory market: the hot path of routing. Nodes by pubkey and by model, so a routing decision scans only
// the nodes that announce the model. SQLite (db.ts) is the durable copy; this is rebuilt from it and from relays.
import { npubEncode } from 'nostr-tools/nip19'
import { modelPrice, type Capability } from '../protocol/capability.ts'
import type { NostrEvent } from '../protocol/event.ts'
import type { Heartbeat } from '../protocol/heartbeat.ts'
import type { Price } from '../protocol/schema.ts'
import { emptyStats, type MarketNode, type NodeStats } from './marketNode.ts'
import { rankNodes, scoreNode, type Ranked, type RouteQuery } from './routing.ts'

export type MarketModel = {
  id: string
  /** Live nodes (fresh heartbeat) serving it now. */
  nodes: number
  freeSlots: number
  minPrice: Price
  maxPrice: Price
  contextLength: number | null
}

/** NIP-01 replaceable ordering: newer created_at wins; on a tie the lower id wins. */
export function isNewer(event: NostrEvent, current: NostrEvent | undefined): boolean {
  if (!current) return true
  return event.created_at > current.created_at || (event.created_at === current.created_at && event.id < current.id)
}

export class Market {
  readonly nodes = new Map<string, MarketNode>()
  readonly byModel = new Map<string, Set<MarketNode>>()
  /** Stats exist before (and without) a capability: results can arrive first. */
  readonly stats = new Map<string, NodeStats>()
  /** Heartbeats whose capability has not arrived yet. */
  readonly orphanHeartbeats = new Map<string, { heartbeat: Heartbeat; event: NostrEvent }>()

  statsFor(pubkey: string): NodeStats {
    let s = this.stats.get(pubkey)
    if (!s) {
      s = emptyStats()
      this.stats.set(pubkey, s)
    }
    return s
  }

  /** Returns false when the event is not newer than what is held. */
  setCapability(capability: Capability, event: NostrEvent): boolean {
    const existing = this.nodes.get(capability.pubkey)
    if (existing && !isNewer(event, existing.capabilityEvent)) return false
    if (existing) for (const m of existing.capability.models) this.byModel.get(m.id)?.delete(existing)
    const node: MarketNode = existing ?? {
      pubkey: capability.pubkey,
      npub: npubEncode(capability.pubkey),
      capability,
      capabilityEvent: event,
      heartbeat: undefined,
      heartbeatEvent: undefined,
      liveModels: new Set(),
      stats: this.statsFor(capability.pubkey),
      inflight: 0,
    }
    node.capability = capability
    node.capabilityEvent = event
    for (const m of capability.models) {
      let set = this.byModel.get(m.id)
      if (!set) this.byModel.set(m.id, (set = new Set()))
      set.add(node)
    }
    this.nodes.set(node.pubkey, node)
    const orphan = this.orphanHeartbeats.get(node.pubkey)
    if (orphan) {
      this.orphanHeartbeats.delete(node.pubkey)
      this.setHeartbeat(orphan.heartbeat, orphan.event)
    }
    return true
  }

  setHeartbeat(heartbeat: Heartbeat, event: NostrEvent): boolean {
    const node = this.nodes.get(heartbeat.pubkey)
    if (!node) {
      const orphan = this.orphanHeartbeats.get(heartbeat.pubkey)
      if (orphan && !isNewer(event, orphan.event)) return false
      this.orphanHeartbeats.set(heartbeat.pubkey, { heartbeat, event })
      return true
    }
    if (!isNewer(event, node.heartbeatEvent)) return false
    node.heartbeat = heartbeat
    node.heartbeatEvent = event
    node.liveModels = new Set(heartbeat.models)
    node.inflight = 0
    return true
  }

  /** Nodes with a fresh heartbeat and capability. */
  *liveNodes(now: number): Iterable<MarketNode> {
    for (const node of this.nodes.values()) {
      if (node.heartbeat && node.heartbeat.expiresAt > now && node.capability.expiresAt > now) yield node
    }
  }

  route(query: RouteQuery, { now, limit }: { now: number; limit?: number | undefined }): Ranked[] {
    const set = this.byModel.get(query.model)
    if (!set) return []
    return rankNodes(set, query, { now, limit: limit ?? Infinity })
  }

  /** True when some live node announces the model (busy or not): tells "unknown model" from "no capacity". */
  hasModel(model: string, now: number): boolean {
    const set = this.byModel.get(model)
    if (!set) return false
    for (const node of set) if (node.heartbeat && node.heartbeat.expiresAt > now && node.liveModels.has(model)) return true
    return false
  }

  /** Every live node, best first, each scored for its first live model (used when no model is asked for). */
  listLive(now: number, query: Omit<RouteQuery, 'model'>): Ranked[] {
    const out: Ranked[] = []
    for (const node of this.liveNodes(now)) {
      const model = node.capability.models.find((m) => node.liveModels.has(m.id))?.id ?? node.capability.models[0]!.id
      out.push({ node, score: scoreNode(node, { ...query, model }) })
    }
    return out.sort((a, b) => b.score - a.score || (a.node.pubkey < b.node.pubkey ? -1 : 1))
  }

  models(now: number): MarketModel[] {
    const out = new Map<string, MarketModel>()
    for (const node of this.liveNodes(now)) {
      for (const m of node.capability.models) {
        if (!node.liveModels.has(m.id)) continue
        const price = modelPrice(node.capability, m.id)
        const entry = out.get(m.id)
        const free = node.heartbeat?.slots.free ?? 0
        if (!entry) {
          out.set(m.id, { id: m.id, nodes: 1, freeSlots: free, minPrice: { ...price }, maxPrice: { ...price }, contextLength: m.contextLength ?? null })
          continue
        }
        entry.nodes++
        entry.freeSlots += free
        if (BigInt(price.input) < BigInt(entry.minPrice.input)) entry.minPrice.input = price.input
        if (BigInt(price.output) < BigInt(entry.minPrice.output)) entry.minPrice.output = price.output
        if (BigInt(price.input) > BigInt(entry.maxPrice.input)) entry.maxPrice.input = price.input
        if (BigInt(price.output) > BigInt(entry.maxPrice.output)) entry.maxPrice.output = price.output
        if (m.contextLength && (entry.contextLength ?? 0) < m.contextLength) entry.contextLength = m.contextLength
      }
    }
    return [...out.values()].sort((a, b) => (a.id < b.id ? -1 : 1))
  }
}
