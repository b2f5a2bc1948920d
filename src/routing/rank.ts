// Which nodes may take a job, and in what order (nips/routing.md, "Candidates" and "Order"). Pure: the SDK ranks
// its relay market with it, a coordinator ranks (and indexes) its own, and both give the same order.
import { decode } from 'nostr-tools/nip19'
import { missingFeatures } from '../protocol/features.ts'
import { digestMatches } from '../protocol/modelDigest.ts'
import { hasCapacity, isLive } from './liveness.ts'
import { offerFor } from './offer.ts'
import { compareRanked, scoreNode, type Ranked, type RouteQuery, type RoutingNode } from './score.ts'

/** A pin names a node by hex pubkey or npub. */
export function pinnedPubkey(pin: string): string {
  if (pin.startsWith('npub1')) {
    const decoded = decode(pin)
    if (decoded.type === 'npub') return decoded.data
  }
  return pin.toLowerCase()
}

/** The query with what every node is compared against parsed once per decision. */
export type PreparedQuery = RouteQuery & { maxIn: bigint | undefined; maxOut: bigint | undefined; pin: string | undefined; onlyRegion: string | undefined }

export function prepareQuery(query: RouteQuery): PreparedQuery {
  if ('maxIn' in query) return query as PreparedQuery
  const policy = query.policy
  return {
    ...query,
    maxIn: query.maxPrice ? BigInt(query.maxPrice.input) : undefined,
    maxOut: query.maxPrice ? BigInt(query.maxPrice.output) : undefined,
    pin: typeof policy === 'object' && 'pin' in policy ? pinnedPubkey(policy.pin) : undefined,
    onlyRegion: typeof policy === 'object' && 'region' in policy ? policy.region.toLowerCase() : undefined,
  }
}

/** Candidate rule: available for the model (with the pinned weights, if any, and the features asked for), not excluded, not failing its audits for it unless pinned, priced within the limit, and kept by a filter policy. */
export function isCandidate(node: RoutingNode, query: RouteQuery, now: number): boolean {
  return isEligible(node, query, now) && hasCapacity(node)
}

/**
 * Every condition of the candidate rule but room for the job: a node that is eligible and not a candidate is
 * busy, which a router answers differently from "no node serves this" (it will have room again).
 */
export function isEligible(node: RoutingNode, query: RouteQuery, now: number): boolean {
  const q = prepareQuery(query)
  if (q.exclude?.has(node.pubkey)) return false
  if (q.pin !== undefined && node.pubkey !== q.pin) return false
  if (q.onlyRegion !== undefined && node.capability.region?.toLowerCase() !== q.onlyRegion) return false
  if (!isLive(node, now, q.model)) return false
  // A pin is the caller's own choice of node, and the way an auditor reaches a node that failed to audit it again.
  if (q.pin === undefined && node.auditFailed?.has(q.model)) return false
  const entry = q.digest !== undefined || q.features?.length ? node.capability.models.find((m) => m.id === q.model) : undefined
  if (q.digest !== undefined && !digestMatches(entry?.digest, q.digest)) return false
  if (q.features?.length && missingFeatures(entry, q.features).length > 0) return false
  const offer = offerFor(node.capability, q.model)
  if (!offer) return false
  if (q.maxIn !== undefined && (offer.input > q.maxIn || offer.output > q.maxOut!)) return false
  return true
}

/** Keeps `out` sorted best first and at most `limit` long (a bounded insertion, O(n·limit) overall). */
export function insertRanked<N extends RoutingNode>(out: Ranked<N>[], item: Ranked<N>, limit: number): void {
  if (out.length >= limit && compareRanked(item, out[out.length - 1]!) >= 0) return
  let i = out.length
  while (i > 0 && compareRanked(item, out[i - 1]!) < 0) i--
  out.splice(i, 0, item)
  if (out.length > limit) out.pop()
}

/** Candidates for the query, best first; `limit` keeps only the best ones. */
export function rankNodes<N extends RoutingNode>(nodes: Iterable<N>, query: RouteQuery, { now, limit = Infinity }: { now: number; limit?: number | undefined }): Ranked<N>[] {
  const out: Ranked<N>[] = []
  const q = prepareQuery(query)
  for (const node of nodes) {
    if (!isCandidate(node, q, now)) continue
    insertRanked(out, { node, score: scoreNode(node, q) }, limit)
  }
  return out
}

/**
 * Spreads load: one of the `k` best is drawn with probability proportional to its score, and goes first; the
 * others follow in rank order as failover candidates. `random` returns [0, 1).
 */
export function pickFromRanked<R extends Ranked>(ranked: R[], { k = 4, random }: { k?: number | undefined; random: () => number }): R[] {
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
