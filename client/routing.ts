// The SDK's side of routing: its market's nodes, with this session's outcomes, ranked by the core's rules
// (src/routing/, documented in nips/routing.md), so a client routing from relays orders the same nodes as a
// coordinator that saw the same events.
import type { ModelFeature } from '../src/protocol/features.ts'
import type { Price } from '../src/protocol/schema.ts'
import { featureShortfall } from '../src/routing/featureShortfall.ts'
import { isCandidate, rankNodes } from '../src/routing/rank.ts'
import type { RouteQuery, RoutingNode, RoutingPolicy } from '../src/routing/score.ts'
import { pooledStats, type SessionRecord } from '../src/routing/stats.ts'
import { UnsupportedFeatureError } from './errors.ts'
import type { MarketNode } from './market.ts'

export type { RoutingPolicy }

/** This client's outcomes on one node in this session. */
export type NodeRecord = SessionRecord

export type RankCandidatesParameters = {
  nodes: MarketNode[]
  model: string
  /** Pinned weights (`model@digest`), whole or a prefix. */
  digest?: string | undefined
  policy: RoutingPolicy
  /** Unix seconds: liveness is judged at this instant. */
  now: number
  maxPrice?: Price | undefined
  /** This client's outcomes per node pubkey. */
  history?: ReadonlyMap<string, NodeRecord> | undefined
  /** Nodes that failed verification in this session. */
  bad?: ReadonlySet<string> | undefined
  /** What the request needs of the model (src/protocol/features.ts `requiredFeatures`). */
  features?: readonly ModelFeature[] | undefined
}

type View = RoutingNode & { market: MarketNode }

function viewOf(node: MarketNode, history: ReadonlyMap<string, NodeRecord> | undefined): View {
  return { pubkey: node.pubkey, capability: node.capability, heartbeat: node.heartbeat, stats: pooledStats(node.stats, history?.get(node.pubkey)), inflight: 0, auditFailed: node.auditFailed, market: node }
}

function queryOf({ model, digest, maxPrice, bad, features }: Omit<RankCandidatesParameters, 'nodes' | 'now' | 'policy'>, policy?: RoutingPolicy): RouteQuery {
  return { model, digest, maxPrice, exclude: bad, policy, features }
}

/** The candidate rule alone, order kept: for candidates a trusted source already ranked. */
export function eligible({ nodes, now, ...rest }: Omit<RankCandidatesParameters, 'policy' | 'history'>): MarketNode[] {
  const query = queryOf(rest)
  return nodes.filter((n) => isCandidate(viewOf(n, undefined), query, now))
}

export function rankCandidates({ nodes, now, policy, history, ...rest }: RankCandidatesParameters): MarketNode[] {
  return rankNodes(nodes.map((n) => viewOf(n, history)), queryOf(rest, policy), { now }).map((r) => r.node.market)
}

/** The error for a request no live node serves with the features it needs, or undefined when that is not why there is no candidate. */
export function unsupportedFeature({ nodes, model, digest, features, now }: Pick<RankCandidatesParameters, 'nodes' | 'model' | 'digest' | 'features' | 'now'>): UnsupportedFeatureError | undefined {
  const shortfall = featureShortfall(
    nodes.map((n) => viewOf(n, undefined)),
    { model, digest, features },
    now,
  )
  return shortfall && new UnsupportedFeatureError(shortfall)
}
