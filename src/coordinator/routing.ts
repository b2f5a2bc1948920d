// Routing: which node gets a job. Pure functions over MarketNode values; nips/routing.md documents every rule and
// constant here so anyone can audit (and reproduce) a coordinator's choice.
import type { Price } from '../protocol/schema.ts'
import type { MarketNode } from './marketNode.ts'

export const routingPolicies = ['balanced', 'cheapest', 'fastest', 'reliable'] as const
export type RoutingPolicy = (typeof routingPolicies)[number]

export type RouteQuery = {
  model: string
  /** The most the caller pays per million tokens; nodes priced above it on either side are not candidates. */
  maxPrice?: Price | undefined
  /** Preferred region: nodes announcing the same region get a bonus (never a hard filter). */
  region?: string | undefined
  policy?: RoutingPolicy | undefined
  /** Nodes to leave out (e.g. ones that already failed this request). */
  exclude?: ReadonlySet<string> | undefined
}

export type Weights = { price: number; ttft: number; tps: number; reliability: number; load: number; loaded: number; region: number }

export const policyWeights: Record<RoutingPolicy, Weights> = {
  balanced: { price: 0.25, ttft: 0.2, tps: 0.2, reliability: 0.2, load: 0.1, loaded: 0.05, region: 0.1 },
  cheapest: { price: 0.6, ttft: 0.1, tps: 0.1, reliability: 0.1, load: 0.05, loaded: 0.05, region: 0.05 },
  fastest: { price: 0.05, ttft: 0.35, tps: 0.35, reliability: 0.1, load: 0.1, loaded: 0.05, region: 0.1 },
  reliable: { price: 0.1, ttft: 0.1, tps: 0.1, reliability: 0.5, load: 0.1, loaded: 0.05, region: 0.05 },
}

/** Reference points: a component is 0.5 exactly at its reference value. */
export const references = {
  /** Base units per million tokens (mean of input and output price). */
  price: 1_000_000,
  ttftMs: 500,
  tps: 30,
  /** Beta prior on the success rate: a node with no history counts as 4 successes out of 5. */
  priorSuccesses: 4,
  priorJobs: 5,
}

export type ScoreComponents = { price: number; ttft: number; tps: number; reliability: number; load: number; loaded: number; region: number }

/** The query with its price limit parsed once per decision. */
type Prepared = RouteQuery & { maxIn: bigint | undefined; maxOut: bigint | undefined }

function prepare(query: RouteQuery): Prepared {
  const q = query as Prepared
  if ('maxIn' in q) return q
  return { ...query, maxIn: query.maxPrice ? BigInt(query.maxPrice.input) : undefined, maxOut: query.maxPrice ? BigInt(query.maxPrice.output) : undefined }
}

/** Candidate rule: fresh capability and heartbeat, healthy backend serving the model, a free slot, price within limit. */
export function isCandidate(node: MarketNode, query: RouteQuery, now: number): boolean {
  const hb = node.heartbeat
  if (!hb || hb.expiresAt <= now || node.capability.expiresAt <= now) return false
  if (!hb.backendHealthy || hb.slots.free <= 0) return false
  if (!node.liveModels.has(query.model)) return false
  const offer = node.offers.get(query.model)
  if (!offer) return false
  if (query.exclude?.has(node.pubkey)) return false
  const q = prepare(query)
  if (q.maxIn !== undefined && (offer.input > q.maxIn || offer.output > q.maxOut!)) return false
  return true
}

export function scoreComponents(node: MarketNode, query: RouteQuery): ScoreComponents {
  const meanPrice = node.offers.get(query.model)?.mean ?? Infinity
  const s = node.stats
  const hb = node.heartbeat
  const ttft = s.ttftCount > 0 ? s.ttftSumMs / s.ttftCount : (hb?.ttftMs ?? null)
  const tps = s.tpsCount > 0 ? s.tpsSum / s.tpsCount : (hb?.tps ?? null)
  const total = hb?.slots.total ?? 1
  const free = Math.max(0, (hb?.slots.free ?? 0) - node.inflight)
  return {
    price: references.price / (references.price + meanPrice),
    ttft: ttft === null ? 0.5 : references.ttftMs / (references.ttftMs + ttft),
    tps: tps === null ? 0.5 : tps / (tps + references.tps),
    reliability: (s.successes + references.priorSuccesses) / (s.jobs + references.priorJobs),
    load: free / total,
    loaded: node.loadedModels.has(query.model) ? 1 : 0,
    region: query.region !== undefined && node.capability.region === query.region ? 1 : 0,
  }
}

export function scoreNode(node: MarketNode, query: RouteQuery): number {
  const w = policyWeights[query.policy ?? 'balanced']
  const c = scoreComponents(node, query)
  return w.price * c.price + w.ttft * c.ttft + w.tps * c.tps + w.reliability * c.reliability + w.load * c.load + w.loaded * c.loaded + w.region * c.region
}

export type Ranked = { node: MarketNode; score: number }

/** Higher score first; ties by lower price then pubkey, so every coordinator orders the same market the same way. */
export function compareRanked(a: Ranked, b: Ranked): number {
  return b.score - a.score || (a.node.pubkey < b.node.pubkey ? -1 : a.node.pubkey > b.node.pubkey ? 1 : 0)
}

/** Candidates for the query, best first; `limit` keeps only the best ones (a bounded insertion, O(n·limit)). */
/** Keeps `out` sorted best first and at most `limit` long. */
function insertRanked(out: Ranked[], item: Ranked, limit: number): void {
  if (out.length >= limit && compareRanked(item, out[out.length - 1]!) >= 0) return
  let i = out.length
  while (i > 0 && compareRanked(item, out[i - 1]!) < 0) i--
  out.splice(i, 0, item)
  if (out.length > limit) out.pop()
}

export function rankNodes(nodes: Iterable<MarketNode>, query: RouteQuery, { now, limit = Infinity }: { now: number; limit?: number }): Ranked[] {
  const out: Ranked[] = []
  const q = prepare(query)
  for (const node of nodes) {
    if (!isCandidate(node, q, now)) continue
    insertRanked(out, { node, score: scoreNode(node, q) }, limit)
  }
  return out
}

export type Presorted = { node: MarketNode; base: number }[]

/** A model's nodes ordered by their score without the caller-specific region bonus (the routing index). */
export function presort(nodes: Iterable<MarketNode>, model: string, policy: RoutingPolicy = 'balanced'): Presorted {
  const out: Presorted = []
  for (const node of nodes) out.push({ node, base: scoreNode(node, { model, policy }) })
  return out.sort((a, b) => b.base - a.base || (a.node.pubkey < b.node.pubkey ? -1 : a.node.pubkey > b.node.pubkey ? 1 : 0))
}

/**
 * The same result as rankNodes, without scanning every node: `index` holds the model's nodes sorted by their score
 * without the caller-specific region bonus (kept current as nodes change). Walking down the index, a node whose
 * indexed score plus the largest caller-specific bonus cannot beat the current `limit`-th best ends the walk.
 */
export function rankPresorted(index: Presorted, query: RouteQuery, { now, limit }: { now: number; limit: number }): Ranked[] {
  const q = prepare(query)
  const bonus = query.region === undefined ? 0 : policyWeights[query.policy ?? 'balanced'].region
  const out: Ranked[] = []
  for (const { node, base } of index) {
    if (out.length >= limit && base + bonus < out[out.length - 1]!.score - 1e-9) break
    if (!isCandidate(node, q, now)) continue
    insertRanked(out, { node, score: scoreNode(node, q) }, limit)
  }
  return out
}

/**
 * Spreads load: one of the `k` best is drawn with probability proportional to its score, and goes first; the
 * others follow in rank order as failover candidates. `random` returns [0, 1).
 */
export function pickFromRanked(ranked: Ranked[], { k = 4, random = Math.random }: { k?: number; random?: () => number } = {}): Ranked[] {
  if (ranked.length <= 1) return ranked
  const top = ranked.slice(0, Math.max(1, k))
  const total = top.reduce((sum, r) => sum + Math.max(r.score, 1e-9), 0)
  let x = random() * total
  let chosen = top.length - 1
  for (let i = 0; i < top.length; i++) {
    x -= Math.max(top[i]!.score, 1e-9)
    if (x < 0) {
      chosen = i
      break
    }
  }
  return [ranked[chosen]!, ...ranked.filter((_, i) => i !== chosen)]
}
