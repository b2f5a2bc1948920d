// What the coordinator knows about one node: its newest valid capability and heartbeat (both as parsed data and
// as the signed events, which the API hands out so clients can re-verify them) and its measured job statistics.
import { modelPrice, type Capability } from '../protocol/capability.ts'
import type { NostrEvent } from '../protocol/event.ts'
import type { Heartbeat } from '../protocol/heartbeat.ts'
import type { Price } from '../protocol/schema.ts'

/** One model on a node's offer, with its price pre-parsed (routing compares prices on every decision). */
export type Offer = { price: Price; input: bigint; output: bigint; mean: number }

export type NodeStats = {
  /** Jobs with a known outcome (successes + failures). */
  jobs: number
  successes: number
  /** Jobs that ended with a node-side error status (backend, internal). */
  failures: number
  ttftSumMs: number
  ttftCount: number
  tpsSum: number
  tpsCount: number
  /** Receipt events seen for this node (kind 3833 addressed to it). */
  receipts: number
}

export type MarketNode = {
  pubkey: string
  npub: string
  capability: Capability
  capabilityEvent: NostrEvent
  heartbeat: Heartbeat | undefined
  heartbeatEvent: NostrEvent | undefined
  /** capability models by id, prices parsed once. */
  offers: Map<string, Offer>
  /** heartbeat.models as a set (the models it serves right now). */
  liveModels: Set<string>
  /** heartbeat.loaded as a set (resident in GPU memory). */
  loadedModels: Set<string>
  stats: NodeStats
  /** Jobs this coordinator routed to the node since its last heartbeat (spreads load between heartbeats). */
  inflight: number
  /** Market generation of the node's last change (see Market.touch). */
  version: number
}

export function emptyStats(): NodeStats {
  return { jobs: 0, successes: 0, failures: 0, ttftSumMs: 0, ttftCount: 0, tpsSum: 0, tpsCount: 0, receipts: 0 }
}

export type StatsSummary = { jobs: number; successRate: number | null; avgTtftMs: number | null; avgTps: number | null }

export function summarizeStats(stats: NodeStats): StatsSummary {
  return {
    jobs: stats.jobs,
    successRate: stats.jobs > 0 ? stats.successes / stats.jobs : null,
    avgTtftMs: stats.ttftCount > 0 ? Math.round(stats.ttftSumMs / stats.ttftCount) : null,
    avgTps: stats.tpsCount > 0 ? Math.round((stats.tpsSum / stats.tpsCount) * 10) / 10 : null,
  }
}

export function offersOf(capability: Capability): Map<string, Offer> {
  const out = new Map<string, Offer>()
  for (const m of capability.models) {
    const price = modelPrice(capability, m.id)
    out.set(m.id, { price, input: BigInt(price.input), output: BigInt(price.output), mean: (Number(price.input) + Number(price.output)) / 2 })
  }
  return out
}
