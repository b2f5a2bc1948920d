// Routing policies: which live nodes to try for a job, best first. Pure; documented in nips/client.md.
//
// Every policy first keeps the nodes that are live for the model, not marked bad in this session, and whose
// price for the model is within the bid ceiling (`maxPrice`, when given). Then:
// - 'cheapest': lowest output price, then lowest input price; ties broken by the reliable score.
// - 'fastest':  highest measured tokens/s (heartbeat, else the coordinator's avgTps), then lowest ttft;
//               nodes that never measured come last; ties broken by the reliable score.
// - 'reliable' (default): a blend, score = 0.5 reliability + 0.2 speed + 0.2 cheapness + 0.1 capacity, where
//     reliability = Laplace-smoothed success rate of this client's jobs on the node, (ok+1)/(ok+failed+2),
//                   averaged with the coordinator's successRate when it has one,
//     speed       = tps / best tps among the candidates (0.5 for everyone when nobody measured),
//     cheapness   = cheapest total price among the candidates / this node's total price (1 when free),
//     capacity    = 1 with a free slot, 0.5 when the job would queue.
// - { pin }:    only that node (hex pubkey or npub).
// - { region }: only nodes announcing that region (case-insensitive), ranked by the reliable score.
import { decode } from 'nostr-tools/nip19'
import { bidCovers } from '../src/protocol/price.ts'
import type { Price } from '../src/protocol/schema.ts'
import { priceFor, type MarketNode } from './market.ts'

export type RoutingPolicy = 'cheapest' | 'fastest' | 'reliable' | { pin: string } | { region: string }

export type NodeRecord = { ok: number; failed: number }

export type RankCandidatesParameters = {
  nodes: MarketNode[]
  model: string
  policy: RoutingPolicy
  maxPrice?: Price | undefined
  /** This client's outcomes per node pubkey. */
  history?: ReadonlyMap<string, NodeRecord> | undefined
  /** Nodes that failed verification in this session. */
  bad?: ReadonlySet<string> | undefined
}

export function pinnedPubkey(pin: string): string {
  if (pin.startsWith('npub1')) {
    const decoded = decode(pin)
    if (decoded.type === 'npub') return decoded.data
  }
  return pin.toLowerCase()
}

const totalPrice = (p: Price) => BigInt(p.input) + BigInt(p.output)

export function eligible({ nodes, model, maxPrice, bad }: Omit<RankCandidatesParameters, 'policy'>): MarketNode[] {
  return nodes.filter((n) => n.live && n.models.includes(model) && !bad?.has(n.pubkey) && (!maxPrice || bidCovers(maxPrice, priceFor(n, model))))
}

function speedOf(n: MarketNode): number | null {
  return n.tps ?? n.stats?.avgTps ?? null
}

export function reliableScores(nodes: MarketNode[], model: string, history?: ReadonlyMap<string, NodeRecord>): Map<string, number> {
  const speeds = nodes.map(speedOf)
  const bestSpeed = Math.max(0, ...speeds.map((s) => s ?? 0))
  const totals = nodes.map((n) => totalPrice(priceFor(n, model)))
  const cheapestTotal = totals.reduce((a, b) => (b < a ? b : a), totals[0] ?? 0n)
  const scores = new Map<string, number>()
  nodes.forEach((n, i) => {
    const h = history?.get(n.pubkey) ?? { ok: 0, failed: 0 }
    let reliability = (h.ok + 1) / (h.ok + h.failed + 2)
    const rate = n.stats?.successRate
    if (rate !== null && rate !== undefined && (n.stats?.jobs ?? 0) > 0) reliability = (reliability + rate) / 2
    const speed = bestSpeed > 0 ? (speeds[i] ?? 0) / bestSpeed : 0.5
    const total = totals[i]!
    const cheapness = total === 0n ? 1 : Number(cheapestTotal) / Number(total)
    const capacity = n.load && n.load.busy >= n.load.total ? 0.5 : 1
    scores.set(n.pubkey, 0.5 * reliability + 0.2 * speed + 0.2 * cheapness + 0.1 * capacity)
  })
  return scores
}

export function rankCandidates(parameters: RankCandidatesParameters): MarketNode[] {
  const { model, policy, history } = parameters
  let nodes = eligible(parameters)
  if (typeof policy === 'object' && 'pin' in policy) {
    const pubkey = pinnedPubkey(policy.pin)
    return nodes.filter((n) => n.pubkey === pubkey)
  }
  if (typeof policy === 'object' && 'region' in policy) {
    const region = policy.region.toLowerCase()
    nodes = nodes.filter((n) => n.region?.toLowerCase() === region)
  }
  const score = reliableScores(nodes, model, history)
  const byScore = (a: MarketNode, b: MarketNode) => score.get(b.pubkey)! - score.get(a.pubkey)! || a.pubkey.localeCompare(b.pubkey)
  const sorted = [...nodes]
  if (policy === 'cheapest') {
    sorted.sort((a, b) => {
      const pa = priceFor(a, model)
      const pb = priceFor(b, model)
      const d = BigInt(pa.output) - BigInt(pb.output) || BigInt(pa.input) - BigInt(pb.input)
      return d < 0n ? -1 : d > 0n ? 1 : byScore(a, b)
    })
  } else if (policy === 'fastest') {
    sorted.sort((a, b) => {
      const sa = speedOf(a)
      const sb = speedOf(b)
      if (sa !== sb) return (sb ?? -1) - (sa ?? -1)
      const ta = a.ttftMs ?? a.stats?.avgTtftMs ?? Infinity
      const tb = b.ttftMs ?? b.stats?.avgTtftMs ?? Infinity
      if (ta !== tb) return ta < tb ? -1 : 1
      return byScore(a, b)
    })
  } else {
    sorted.sort(byScore)
  }
  return sorted
}
