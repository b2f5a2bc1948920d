// The score: one formula per policy, used by the SDK and by every coordinator, so anyone can reproduce a ranking
// from the same events (nips/routing.md, "Score"). A node's score depends only on its own data and the query,
// never on the other candidates: that is what lets a coordinator keep a presorted index.
import type { ModelFeature } from '../protocol/features.ts'
import type { Price } from '../protocol/schema.ts'
import type { NodeState } from './liveness.ts'
import { offerFor } from './offer.ts'
import type { NodeStats } from './stats.ts'

export const routingPolicies = ['balanced', 'cheapest', 'fastest', 'reliable'] as const
export type NamedPolicy = (typeof routingPolicies)[number]
/** A named weight table, or a filter ranked by the 'reliable' table: one node (`pin`) or one region. */
export type RoutingPolicy = NamedPolicy | { pin: string } | { region: string }

/** What a router holds about a node: the signed facts, the evidence, and its own jobs not yet in a heartbeat. */
export type RoutingNode = NodeState & {
  pubkey: string
  stats: NodeStats
  /** Jobs this router sent to the node since its last heartbeat (0 for a client). */
  inflight: number
  /**
   * Models this node fails its audits on, by the reader's trusted auditors (src/routing/reputation.ts
   * `auditsFail`): it is no candidate for them.
   */
  auditFailed?: ReadonlySet<string> | undefined
  /** Reliability by the reputation function (src/routing/reputation.ts), where the reader computes it. */
  reputation?: NodeReputationScore | undefined
}

/**
 * `reliability` as computeReputation gives it; `evidence`: the paid jobs and counted rejections behind it. With no
 * evidence (a free node: nobody pays it, so nothing others signed says how it does) routing falls back to the job
 * outcomes it saw (results and error statuses), so free nodes are still told apart.
 */
export type NodeReputationScore = { reliability: number; evidence: number }

export type RouteQuery = {
  model: string
  /** Weights the node must announce for the model: a whole digest or a prefix (src/protocol/modelDigest.ts). */
  digest?: string | undefined
  /** The most the caller pays per million tokens; nodes priced above it on either side are not candidates. */
  maxPrice?: Price | undefined
  /** Preferred region: nodes announcing it (case-insensitive) get the region component (never a filter). */
  region?: string | undefined
  policy?: RoutingPolicy | undefined
  /** Nodes to leave out (ones that already failed this request or this session). */
  exclude?: ReadonlySet<string> | undefined
  /** What the request needs of the model (src/protocol/features.ts `requiredFeatures`); nodes whose model lacks one are not candidates. */
  features?: readonly ModelFeature[] | undefined
}

export type Weights = { price: number; ttft: number; tps: number; reliability: number; load: number; loaded: number; region: number }

export const policyWeights: Record<NamedPolicy, Weights> = {
  balanced: { price: 0.25, ttft: 0.2, tps: 0.2, reliability: 0.2, load: 0.1, loaded: 0.05, region: 0.1 },
  cheapest: { price: 0.6, ttft: 0.1, tps: 0.1, reliability: 0.1, load: 0.05, loaded: 0.05, region: 0.05 },
  fastest: { price: 0.05, ttft: 0.35, tps: 0.35, reliability: 0.1, load: 0.1, loaded: 0.05, region: 0.1 },
  reliable: { price: 0.1, ttft: 0.1, tps: 0.1, reliability: 0.5, load: 0.1, loaded: 0.05, region: 0.05 },
}

/** The weight table a policy ranks by: filters (pin, region) rank what they keep as 'reliable' does. */
export function weightsOf(policy: RoutingPolicy | undefined): Weights {
  return policyWeights[typeof policy === 'string' ? policy : policy === undefined ? 'balanced' : 'reliable']
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

/** The region a query prefers: its own, else the one its policy filters on. */
export function preferredRegion(query: Pick<RouteQuery, 'region' | 'policy'>): string | undefined {
  const policy = query.policy
  return query.region ?? (typeof policy === 'object' && 'region' in policy ? policy.region : undefined)
}

export function scoreComponents(node: RoutingNode, query: Pick<RouteQuery, 'model' | 'region' | 'policy'>): ScoreComponents {
  const meanPrice = offerFor(node.capability, query.model)?.mean ?? Infinity
  const s = node.stats
  const hb = node.heartbeat
  // Measured first: the node's own heartbeat figures are claims (DESIGN.md, "Verify, don't trust").
  const ttft = s.ttftCount > 0 ? s.ttftSumMs / s.ttftCount : (hb?.ttftMs ?? null)
  const tps = s.tpsCount > 0 ? s.tpsSum / s.tpsCount : (hb?.tps ?? null)
  const total = hb?.slots.total ?? 1
  const free = Math.max(0, (hb?.slots.free ?? 0) - node.inflight)
  const region = preferredRegion(query)
  return {
    price: references.price / (references.price + meanPrice),
    ttft: ttft === null ? 0.5 : references.ttftMs / (references.ttftMs + ttft),
    tps: tps === null ? 0.5 : tps / (tps + references.tps),
    reliability: node.reputation && node.reputation.evidence > 0 ? node.reputation.reliability : (s.successes + references.priorSuccesses) / (s.jobs + references.priorJobs),
    load: free / total,
    loaded: hb?.loaded.includes(query.model) ? 1 : 0,
    region: region !== undefined && node.capability.region?.toLowerCase() === region.toLowerCase() ? 1 : 0,
  }
}

export function scoreNode(node: RoutingNode, query: Pick<RouteQuery, 'model' | 'region' | 'policy'>): number {
  const w = weightsOf(query.policy)
  const c = scoreComponents(node, query)
  return w.price * c.price + w.ttft * c.ttft + w.tps * c.tps + w.reliability * c.reliability + w.load * c.load + w.loaded * c.loaded + w.region * c.region
}

export type Ranked<N extends RoutingNode = RoutingNode> = { node: N; score: number }

/** Higher score first; ties by lower pubkey, so every router orders the same market the same way. */
export function compareRanked(a: Ranked, b: Ranked): number {
  return b.score - a.score || (a.node.pubkey < b.node.pubkey ? -1 : a.node.pubkey > b.node.pubkey ? 1 : 0)
}
