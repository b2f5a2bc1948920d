// Applying one validated item to the coordinator's cache and in-memory market, inside the indexer's flush
// transaction. The job table keeps one row per job; a node's stats move once per job (its `outcome`), whatever
// order its status and result events arrive in. A finished job is dated by the event that decided it (never past
// the clock), not by when it was indexed, so a coordinator rebuilt from relays charts the same history.
import type { NostrEvent } from '../protocol/event.ts'
import type { CoordinatorDb, JobRow } from './db.ts'
import { failedModels } from '../routing/reputation.ts'
import { auditResult, withAudit } from './audits.ts'
import type { IndexedItem } from './indexedEvent.ts'
import { isNewer, type MarketIndex } from './marketIndex.ts'

/** Error codes that count against a node's success rate; the others are the client's doing or a refusal. */
const nodeFaultCodes: ReadonlySet<string> = new Set(['backend', 'internal'])
const terminalStatuses: ReadonlySet<string> = new Set(['success', 'error', 'cancelled'])

export type JobUpdate = { job: string; type: 'status' | 'result'; event: NostrEvent; row: JobRow }

/** One finished job as the rates see it: indexing time (unix seconds), completion tokens, and whether it failed. */
export type RecentJob = { at: number; tokens: number; failed: boolean }

export type ApplyContext = {
  db: CoordinatorDb
  market: MarketIndex
  now: () => number
  /** Counts one applied item of this type. */
  count: (type: string) => void
  /** Counts an item that lost to something newer or was not the signer's to speak about. */
  stale: () => void
  recent: RecentJob[]
  /** Pubkeys whose stats changed in this flush (written back once at its end). */
  touchedStats: Set<string>
  updates: JobUpdate[]
}

function newJob(id: string, at: number): JobRow {
  return {
    id, client: null, node: null, model: null, status: 'submitted', code: null, message: null, outcome: null, result_id: null,
    prompt_tokens: null, completion_tokens: null, amount: null, ttft_ms: null, duration_ms: null, created_at: at, updated_at: at, finished_at: null,
  }
}

export function applyIndexed(item: IndexedItem, ctx: ApplyContext): void {
  const { db, market, now } = ctx
  switch (item.type) {
    case 'capability':
      if (market.setCapability(item.data, item.event)) {
        db.putNodeEvent(item.event)
        ctx.count('capability')
      } else ctx.stale()
      return
    case 'heartbeat': {
      const node = market.nodes.get(item.data.pubkey)
      const before = node?.heartbeatEvent ?? market.orphanHeartbeats.get(item.data.pubkey)?.event
      if (isNewer(item.event, before) && market.setHeartbeat(item.data, item.event)) {
        db.putNodeEvent(item.event)
        ctx.count('heartbeat')
      } else ctx.stale()
      return
    }
    case 'submitted': {
      const row = db.getJob(item.data.id) ?? newJob(item.data.id, item.data.createdAt)
      row.client ??= item.data.client
      row.node ??= item.data.node
      row.model ??= item.model
      db.putJob(row)
      return
    }
    case 'verdict': {
      const node = item.data.node
      const before = market.audits.get(node) ?? []
      const after = withAudit(before, auditResult(item.event.id, item.data, market.trustedAuditors))
      if (after.length === before.length && after.every((a, i) => a === before[i])) return ctx.stale()
      market.audits.set(node, after)
      // Routing leaves the node out for the models it fails on (nips/reputation.md), from trusted verdicts only.
      market.setAuditFailures(node, failedModels(after.map((a) => ({ ...a, pass: a.verdict === 'pass', createdAt: a.at })), market.trustedAuditors))
      ctx.count('verdict')
      return
    }
    case 'receipt': {
      if (db.putReceipt(item.event.id, item.data.node, item.data.client, item.data.job, item.data.createdAt)) {
        market.statsFor(item.data.node).receipts++
        ctx.touchedStats.add(item.data.node)
        market.reputationStale = true
        ctx.count('receipt')
      }
      return
    }
    case 'rejection': {
      const r = item.data
      if (db.putRejection(item.event.id, r.node, r.client, r.job, r.createdAt)) {
        market.reputationStale = true
        ctx.count('rejection')
      } else ctx.stale()
      return
    }
    case 'status': {
      const s = item.data
      const row = db.getJob(s.job) ?? newJob(s.job, s.createdAt)
      // Only the node a job was addressed to may speak about it; the first signer claims an unknown job.
      if (row.node && row.node !== s.node) return ctx.stale()
      row.node ??= s.node
      row.client ??= s.client
      const terminal = terminalStatuses.has(row.status)
      if (!terminal && s.createdAt >= row.updated_at - 1) {
        row.status = s.status
        row.code = s.code ?? null
        row.message = s.message ?? null
        row.updated_at = Math.max(row.updated_at, s.createdAt)
      }
      if (row.outcome === null) {
        if (s.status === 'error' && s.code && nodeFaultCodes.has(s.code)) {
          row.outcome = 'failure'
          row.finished_at = Math.min(s.createdAt, now())
          const st = market.statsFor(s.node)
          st.jobs++
          st.failures++
          ctx.touchedStats.add(s.node)
          if (s.createdAt >= now() - 60) ctx.recent.push({ at: now(), tokens: 0, failed: true })
        } else if (s.status === 'cancelled' || s.status === 'error') {
          row.outcome = s.status === 'cancelled' ? 'cancelled' : 'refused'
        }
      }
      db.putJob(row)
      db.putJobEvent(s.job, item.event)
      ctx.count('status')
      ctx.updates.push({ job: s.job, type: 'status', event: item.event, row })
      return
    }
    case 'result': {
      const r = item.data
      const row = db.getJob(r.job) ?? newJob(r.job, r.createdAt)
      if ((row.node && row.node !== r.node) || row.result_id) return ctx.stale()
      row.node ??= r.node
      row.client ??= r.client
      row.model = r.model
      row.result_id = item.event.id
      row.status = 'success'
      row.code = null
      row.prompt_tokens = r.usage.promptTokens
      row.completion_tokens = r.usage.completionTokens
      row.amount = r.amount.toString()
      row.ttft_ms = r.ttftMs
      row.duration_ms = r.durationMs
      row.updated_at = Math.max(row.updated_at, r.createdAt)
      if (row.outcome === null || row.outcome === 'refused') {
        row.outcome = 'success'
        row.finished_at = Math.min(r.createdAt, now())
        const st = market.statsFor(r.node)
        st.jobs++
        st.successes++
        st.ttftSumMs += r.ttftMs
        st.ttftCount++
        const genMs = r.durationMs - r.ttftMs
        if (r.usage.completionTokens > 1 && genMs > 0) {
          st.tpsSum += r.usage.completionTokens / (genMs / 1000)
          st.tpsCount++
        }
        ctx.touchedStats.add(r.node)
        market.reputationStale = true
        if (r.createdAt >= now() - 60) ctx.recent.push({ at: now(), tokens: r.usage.completionTokens, failed: false })
      }
      db.putJob(row)
      db.putJobEvent(r.job, item.event)
      ctx.count('result')
      ctx.updates.push({ job: r.job, type: 'result', event: item.event, row })
      return
    }
  }
}
