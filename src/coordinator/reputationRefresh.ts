// Keeps the market's reputations current (nips/reputation.md): the reputation function over the paid jobs, receipts
// and rejections in the cache, recomputed when any of them arrived and at least once a minute (the window slides).
// Verdicts are left out here: the index already removes a node from the models it fails (applyIndexed.ts).
import { computeReputation, reputationWindowSeconds } from '../routing/reputation.ts'
import type { CoordinatorDb } from './db.ts'
import type { MarketIndex } from './marketIndex.ts'

export function refreshReputation({ db, market, now }: { db: CoordinatorDb; market: MarketIndex; now: number }): void {
  market.reputationStale = false
  const events = { ...db.reputationEvents(now - reputationWindowSeconds), verdicts: [] }
  const computed = computeReputation(events, { now, trustedAuditors: market.trustedAuditors })
  for (const pubkey of new Set([...market.reputations.keys(), ...computed.keys()])) {
    const r = computed.get(pubkey)
    market.setReputation(pubkey, r ? { reliability: r.reliability, evidence: r.paidJobs + r.rejections } : { reliability: 0.5, evidence: 0 })
  }
}

/** Runs refreshReputation every `intervalMs` when something changed, and every minute regardless. */
export function startReputationRefresh({ db, market, now, intervalMs = 2000 }: { db: CoordinatorDb; market: MarketIndex; now: () => number; intervalMs?: number }): { close(): void } {
  let last = 0
  const timer = setInterval(() => {
    if (!market.reputationStale && now() - last < 60) return
    last = now()
    refreshReputation({ db, market, now: last })
  }, intervalMs)
  timer.unref()
  return { close: () => clearInterval(timer) }
}
