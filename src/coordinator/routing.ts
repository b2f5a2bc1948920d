// The coordinator's routing index: a model's nodes presorted by score, so a decision reads the top of a list
// instead of scoring every node. Speed only: the order is the shared formula's (src/routing/), and
// test/coordinator/routing.test.ts checks the walk against a full ranking while the market changes.
import { insertRanked, isCandidate, prepareQuery } from '../routing/rank.ts'
import { compareRanked, policyWeights, scoreNode, type NamedPolicy, type Ranked, type RouteQuery } from '../routing/score.ts'
import type { IndexedNode } from './indexedNode.ts'

export type Presorted = { node: IndexedNode; base: number }[]

/** Order of the index: (base, node) as compareRanked orders (score, node). */
export function compareIndexed(a: { node: IndexedNode; base: number }, b: { node: IndexedNode; base: number }): number {
  return compareRanked({ node: a.node, score: a.base }, { node: b.node, score: b.base })
}

/** A node's place in the index: its score for the model without the caller-specific region component. */
export function baseScore(node: IndexedNode, model: string, policy: NamedPolicy): number {
  return scoreNode(node, { model, policy })
}

/** A model's nodes ordered by their base score (the routing index). */
export function presort(nodes: Iterable<IndexedNode>, model: string, policy: NamedPolicy): Presorted {
  const out: Presorted = []
  for (const node of nodes) out.push({ node, base: baseScore(node, model, policy) })
  return out.sort(compareIndexed)
}

/**
 * The same result as rankNodes, without scanning every node: walking down the index, a node whose indexed score
 * plus the largest caller-specific bonus (the region weight) cannot beat the current `limit`-th best ends the walk.
 */
export function rankPresorted(index: Presorted, query: Omit<RouteQuery, 'policy'> & { policy: NamedPolicy }, { now, limit }: { now: number; limit: number }): Ranked<IndexedNode>[] {
  const q = prepareQuery(query)
  const bonus = query.region === undefined ? 0 : policyWeights[query.policy].region
  const out: Ranked<IndexedNode>[] = []
  for (const { node, base } of index) {
    if (out.length >= limit && base + bonus < out[out.length - 1]!.score - 1e-9) break
    if (!isCandidate(node, q, now)) continue
    insertRanked(out, { node, score: scoreNode(node, q) }, limit)
  }
  return out
}
