// The in-memory market: the hot path of routing. Nodes by pubkey and by model, so a routing decision scans only
// the nodes that announce the model. SQLite (db.ts) is the durable copy; this is rebuilt from it and from relays.
import { npubEncode } from 'nostr-tools/nip19'
import { modelPrice, type Capability } from '../protocol/capability.ts'
import type { NostrEvent } from '../protocol/event.ts'
import type { Heartbeat } from '../protocol/heartbeat.ts'
import type { Price } from '../protocol/schema.ts'
import { emptyStats, offersOf, type MarketNode, type NodeStats } from './marketNode.ts'
import { presort, rankNodes, rankPresorted, scoreNode, type Presorted, type Ranked, type RouteQuery } from './routing.ts'

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
  /** Routing index per (model, policy), rebuilt once enough of the model's nodes changed since it was built. */
  readonly indexes = new Map<string, { index: Presorted; generation: number; size: number; logPos: number }>()
  /** Bumped by every change that can move a score (heartbeat, capability, stats, routed job). */
  generation = 0
  /** Per model, the nodes changed in order; position p of the log is nodes[p - base]. */
  private readonly logs = new Map<string, { nodes: MarketNode[]; base: number }>()
  reindexAfter = 64

  /** Records that a node's score inputs changed (heartbeat, capability, stats, inflight). */
  touch(node: MarketNode): void {
    node.version = ++this.generation
    for (const model of node.offers.keys()) {
      let log = this.logs.get(model)
      if (!log) this.logs.set(model, (log = { nodes: [], base: 0 }))
      log.nodes.push(node)
      if (log.nodes.length > 20_000) {
        log.nodes.splice(0, 10_000)
        log.base += 10_000
      }
    }
  }

  /** Touch by pubkey (stats may belong to a node without a capability yet). */
  touchPubkey(pubkey: string): void {
    const node = this.nodes.get(pubkey)
    if (node) this.touch(node)
  }

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
      offers: new Map(),
      liveModels: new Set(),
      loadedModels: new Set(),
      stats: this.statsFor(capability.pubkey),
      inflight: 0,
      version: 0,
    }
    node.capability = capability
    node.capabilityEvent = event
    node.offers = offersOf(capability)
    for (const m of capability.models) {
      let set = this.byModel.get(m.id)
      if (!set) this.byModel.set(m.id, (set = new Set()))
      set.add(node)
    }
    this.nodes.set(node.pubkey, node)
    this.touch(node)
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
    node.loadedModels = new Set(heartbeat.loaded)
    node.inflight = 0
    this.touch(node)
    return true
  }

  /** Forgets nodes whose capability expired and heartbeats nobody claimed; returns the pubkeys removed. */
  sweep(now: number): string[] {
    const removed: string[] = []
    for (const node of this.nodes.values()) {
      if (node.capability.expiresAt > now) continue
      for (const m of node.capability.models) this.byModel.get(m.id)?.delete(node)
      this.nodes.delete(node.pubkey)
      removed.push(node.pubkey)
    }
    for (const [pubkey, orphan] of this.orphanHeartbeats) if (orphan.heartbeat.expiresAt <= now) this.orphanHeartbeats.delete(pubkey)
    return removed
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
    if (limit === undefined || limit === Infinity) return rankNodes(set, query, { now })
    const key = `${query.policy ?? 'balanced'}\u0000${query.model}`
    const log = this.logs.get(query.model) ?? { nodes: [], base: 0 }
    let entry = this.indexes.get(key)
    const since = entry ? entry.logPos - log.base : -1
    // Rebuild once the changed nodes (scanned on every decision) outnumber max(reindexAfter, 4·√n).
    const threshold = Math.max(this.reindexAfter, 4 * Math.sqrt(set.size))
    if (!entry || since < 0 || log.nodes.length - since > threshold || entry.size !== set.size) {
      entry = { index: presort(set, query.model, query.policy), generation: this.generation, size: set.size, logPos: log.base + log.nodes.length }
      this.indexes.set(key, entry)
      return rankPresorted(entry.index, query, { now, limit })
    }
    const changed = new Set<MarketNode>()
    for (let i = since; i < log.nodes.length; i++) {
      const node = log.nodes[i]!
      if (set.has(node)) changed.add(node)
    }
    return rankPresorted(entry.index, query, { now, limit, builtAt: entry.generation, changed })
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
