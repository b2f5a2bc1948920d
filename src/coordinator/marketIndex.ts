// The coordinator's in-memory market index: the hot path of routing. Nodes by pubkey and by model, each model's
// nodes presorted per policy (routing.ts), so a decision reads the top of a list instead of scoring every node.
// A cache twice over: SQLite (db.ts) is the durable copy, relays are the truth, and the order is the core's.
import { npubEncode } from 'nostr-tools/nip19'
import { modelPrice, type Capability } from '../protocol/capability.ts'
import type { NostrEvent } from '../protocol/event.ts'
import type { Heartbeat } from '../protocol/heartbeat.ts'
import type { Price } from '../protocol/schema.ts'
import { featureShortfall, type FeatureShortfall } from '../routing/featureShortfall.ts'
import { isLive } from '../routing/liveness.ts'
import { offersOf } from '../routing/offer.ts'
import { pickFromRanked, rankNodes } from '../routing/rank.ts'
import { saturation, type Saturation } from '../routing/saturation.ts'
import { scoreNode, type NamedPolicy, type NodeReputationScore, type Ranked, type RouteQuery } from '../routing/score.ts'
import { emptyStats, type NodeStats } from '../routing/stats.ts'
import type { AuditResult } from './audits.ts'
import type { IndexedNode } from './indexedNode.ts'
import { baseScore, compareIndexed, presort, rankPresorted, type Presorted } from './routing.ts'

type IndexEntry = { model: string; policy: NamedPolicy; list: Presorted; base: Map<IndexedNode, number> }

/** First position whose entry does not sort before (base, node). */
function lowerBound(list: Presorted, base: number, node: IndexedNode): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compareIndexed(list[mid]!, { node, base }) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

function removeFromIndex(entry: IndexEntry, node: IndexedNode): void {
  const base = entry.base.get(node)
  if (base === undefined) return
  let i = lowerBound(entry.list, base, node)
  if (entry.list[i]?.node !== node) i = entry.list.findIndex((x) => x.node === node)
  if (i >= 0) entry.list.splice(i, 1)
  entry.base.delete(node)
}

function insertIntoIndex(entry: IndexEntry, node: IndexedNode): void {
  const base = baseScore(node, entry.model, entry.policy)
  entry.list.splice(lowerBound(entry.list, base, node), 0, { node, base })
  entry.base.set(node, base)
}

export type MarketModel = {
  id: string
  /** Live nodes (fresh heartbeat) serving it now. */
  nodes: number
  freeSlots: number
  minPrice: Price
  maxPrice: Price
  contextLength: number | null
  /** The weights live nodes announce under this id (sorted, distinct): more than one means different models share a name. */
  digests: string[]
}

/** NIP-01 replaceable ordering: newer created_at wins; on a tie the lower id wins. */
export function isNewer(event: NostrEvent, current: NostrEvent | undefined): boolean {
  if (!current) return true
  return event.created_at > current.created_at || (event.created_at === current.created_at && event.id < current.id)
}

export class MarketIndex {
  readonly nodes = new Map<string, IndexedNode>()
  readonly byModel = new Map<string, Set<IndexedNode>>()
  /** Stats exist before (and without) a capability: results can arrive first. */
  readonly stats = new Map<string, NodeStats>()
  /** Audit verdicts by node pubkey, newest first (audits.ts). */
  readonly audits = new Map<string, AuditResult[]>()
  /** Auditors whose verdicts count here (nips/reputation.md); the others are shown, marked untrusted. */
  trustedAuditors: ReadonlySet<string> = new Set()
  readonly auditFailures = new Map<string, ReadonlySet<string>>()
  /** Reputation from others' signed events (src/routing/reputation.ts), by pubkey, as last computed. */
  readonly reputations = new Map<string, NodeReputationScore>()
  /** Set when a result, receipt or rejection arrived since the reputation was last computed. */
  reputationStale = false
  /** Heartbeats whose capability has not arrived yet. */
  readonly orphanHeartbeats = new Map<string, { heartbeat: Heartbeat; event: NostrEvent }>()
  /** Routing index per (policy, model): the model's nodes presorted by score, kept in order as nodes change. */
  readonly indexes = new Map<string, IndexEntry>()
  private readonly indexesByModel = new Map<string, IndexEntry[]>()
  /** Bumped by every change that can move a score (heartbeat, capability, stats, routed job). */
  generation = 0

  /** Records that a node's score inputs changed (heartbeat, capability, stats, inflight) and re-sorts it. */
  touch(node: IndexedNode): void {
    node.version = ++this.generation
    if (this.nodes.get(node.pubkey) !== node) return
    for (const model of node.offers.keys()) {
      for (const entry of this.indexesByModel.get(model) ?? []) {
        removeFromIndex(entry, node)
        insertIntoIndex(entry, node)
      }
    }
  }

  private unindex(node: IndexedNode): void {
    for (const model of node.offers.keys()) for (const entry of this.indexesByModel.get(model) ?? []) removeFromIndex(entry, node)
  }

  /** Forgets a node entirely (memory only). */
  remove(pubkey: string): boolean {
    const node = this.nodes.get(pubkey)
    if (!node) return false
    this.unindex(node)
    for (const m of node.capability.models) this.byModel.get(m.id)?.delete(node)
    this.nodes.delete(pubkey)
    return true
  }

  /** Touch by pubkey (stats may belong to a node without a capability yet). */
  /** Models a node fails its audits on; kept for a node whose capability has not arrived yet too. */
  setAuditFailures(pubkey: string, models: ReadonlySet<string>): void {
    this.auditFailures.set(pubkey, models)
    const node = this.nodes.get(pubkey)
    if (node) {
      node.auditFailed = models
      this.touch(node)
    } else this.generation++
  }

  /** A node's reputation; re-sorts it when the number changed (kept for a node whose capability comes later). */
  setReputation(pubkey: string, reputation: NodeReputationScore): void {
    const before = this.reputations.get(pubkey)
    if (before && before.reliability === reputation.reliability && before.evidence === reputation.evidence) return
    this.reputations.set(pubkey, reputation)
    const node = this.nodes.get(pubkey)
    if (node) {
      node.reputation = reputation
      this.touch(node)
    }
  }

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

  auditsFor(pubkey: string): readonly AuditResult[] {
    return this.audits.get(pubkey) ?? []
  }

  /** Returns false when the event is not newer than what is held. */
  setCapability(capability: Capability, event: NostrEvent): boolean {
    const existing = this.nodes.get(capability.pubkey)
    if (existing && !isNewer(event, existing.capabilityEvent)) return false
    if (existing) {
      this.unindex(existing)
      for (const m of existing.capability.models) this.byModel.get(m.id)?.delete(existing)
    }
    const node: IndexedNode = existing ?? {
      pubkey: capability.pubkey,
      npub: npubEncode(capability.pubkey),
      capability,
      capabilityEvent: event,
      heartbeat: undefined,
      heartbeatEvent: undefined,
      offers: new Map(),
      stats: this.statsFor(capability.pubkey),
      inflight: 0,
      auditFailed: this.auditFailures.get(capability.pubkey),
      reputation: this.reputations.get(capability.pubkey),
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
    node.inflight = 0
    this.touch(node)
    return true
  }

  /** Forgets nodes whose capability expired and heartbeats nobody claimed; returns the pubkeys removed. */
  sweep(now: number): string[] {
    const removed: string[] = []
    for (const node of [...this.nodes.values()]) {
      if (node.capability.expiresAt > now) continue
      this.remove(node.pubkey)
      removed.push(node.pubkey)
    }
    for (const [pubkey, orphan] of this.orphanHeartbeats) if (orphan.heartbeat.expiresAt <= now) this.orphanHeartbeats.delete(pubkey)
    return removed
  }

  /** Live nodes (src/routing/liveness.ts). */
  *liveNodes(now: number): Iterable<IndexedNode> {
    for (const node of this.nodes.values()) if (isLive(node, now)) yield node
  }

  /** Candidates best first, in the shared order; the index serves bounded queries with a named policy. */
  route(query: RouteQuery, { now, limit }: { now: number; limit?: number | undefined }): Ranked<IndexedNode>[] {
    const set = this.byModel.get(query.model)
    if (!set) return []
    const policy = query.policy ?? 'balanced'
    if (limit === undefined || limit === Infinity || typeof policy !== 'string') return rankNodes(set, query, { now, limit })
    const key = `${policy}\u0000${query.model}`
    let entry = this.indexes.get(key)
    if (!entry) {
      const list = presort(set, query.model, policy)
      entry = { model: query.model, policy, list, base: new Map(list.map((x) => [x.node, x.base])) }
      this.indexes.set(key, entry)
      const forModel = this.indexesByModel.get(query.model) ?? []
      forModel.push(entry)
      this.indexesByModel.set(query.model, forModel)
    }
    return rankPresorted(entry.list, { ...query, policy }, { now, limit })
  }

  /**
   * The best `limit` candidates with the first one drawn among the best `k` (spreads load instead of sending every
   * request to the single best node) and counted as in flight until the node's next heartbeat.
   */
  pick(query: RouteQuery, { now, limit, k, random }: { now: number; limit: number; k: number; random: () => number }): Ranked<IndexedNode>[] {
    const picked = pickFromRanked(this.route(query, { now, limit: Math.max(limit, k) }), { k, random })
    if (picked[0]) {
      picked[0].node.inflight++
      this.touch(picked[0].node)
    }
    return picked.slice(0, limit)
  }

  /** Set when the query has no candidate only because every node that qualifies is busy (src/routing/saturation.ts). */
  busy(query: RouteQuery, now: number): Saturation | undefined {
    return saturation(this.byModel.get(query.model) ?? [], query, now)
  }

  /** Set when live nodes serve the model but none with every feature the query asks for (src/routing/featureShortfall.ts). */
  featureShortfall(query: Pick<RouteQuery, 'model' | 'digest' | 'features'>, now: number): FeatureShortfall | undefined {
    return featureShortfall(this.byModel.get(query.model) ?? [], query, now)
  }

  /** True when some live node announces the model (busy or not): tells "unknown model" from "no capacity". */
  hasModel(model: string, now: number): boolean {
    const set = this.byModel.get(model)
    if (!set) return false
    for (const node of set) if (isLive(node, now, model)) return true
    return false
  }

  /** Every live node, best first, each scored for its first live model (used when no model is asked for). */
  listLive(now: number, query: Omit<RouteQuery, 'model'>): Ranked<IndexedNode>[] {
    const out: Ranked<IndexedNode>[] = []
    for (const node of this.liveNodes(now)) {
      const model = node.capability.models.find((m) => node.heartbeat!.models.includes(m.id))?.id ?? node.capability.models[0]!.id
      out.push({ node, score: scoreNode(node, { ...query, model }) })
    }
    return out.sort((a, b) => b.score - a.score || (a.node.pubkey < b.node.pubkey ? -1 : 1))
  }

  models(now: number): MarketModel[] {
    const out = new Map<string, MarketModel>()
    for (const node of this.liveNodes(now)) {
      for (const m of node.capability.models) {
        if (!node.heartbeat!.models.includes(m.id)) continue
        const price = modelPrice(node.capability, m.id)
        const entry = out.get(m.id)
        const free = node.heartbeat?.slots.free ?? 0
        if (!entry) {
          out.set(m.id, { id: m.id, nodes: 1, freeSlots: free, minPrice: { ...price }, maxPrice: { ...price }, contextLength: m.contextLength ?? null, digests: m.digest ? [m.digest] : [] })
          continue
        }
        if (m.digest && !entry.digests.includes(m.digest)) entry.digests = [...entry.digests, m.digest].sort()
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
