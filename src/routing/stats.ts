// What routing knows about a node beyond its own claims: job outcomes and measured speed, from events others can
// check (results, statuses) or from the router's own jobs. Plain sums, so every router that saw the same events
// holds the same numbers whatever the arrival order.

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

export function emptyStats(): NodeStats {
  return { jobs: 0, successes: 0, failures: 0, ttftSumMs: 0, ttftCount: 0, tpsSum: 0, tpsCount: 0, receipts: 0 }
}

/** The `stats` object of GET /api/v1/nodes (wire format: rounded means). */
export type StatsSummary = { jobs: number; successRate: number | null; avgTtftMs: number | null; avgTps: number | null }

export function summarizeStats(stats: NodeStats): StatsSummary {
  return {
    jobs: stats.jobs,
    successRate: stats.jobs > 0 ? stats.successes / stats.jobs : null,
    avgTtftMs: stats.ttftCount > 0 ? Math.round(stats.ttftSumMs / stats.ttftCount) : null,
    avgTps: stats.tpsCount > 0 ? Math.round((stats.tpsSum / stats.tpsCount) * 10) / 10 : null,
  }
}

/** One client's outcomes on a node in this session. */
export type SessionRecord = { ok: number; failed: number }

/**
 * A client's evidence: a coordinator's summary (its means weigh as one measurement each, since the counts behind
 * them are not on the wire) pooled with the client's own outcomes, which it trusts most and therefore adds.
 */
export function pooledStats(summary: StatsSummary | undefined, own: SessionRecord | undefined): NodeStats {
  const stats = emptyStats()
  if (summary && summary.jobs > 0) {
    stats.jobs = summary.jobs
    stats.successes = Math.round((summary.successRate ?? 0) * summary.jobs)
    stats.failures = stats.jobs - stats.successes
  }
  if (summary?.avgTtftMs != null) {
    stats.ttftSumMs = summary.avgTtftMs
    stats.ttftCount = 1
  }
  if (summary?.avgTps != null) {
    stats.tpsSum = summary.avgTps
    stats.tpsCount = 1
  }
  if (own) {
    stats.jobs += own.ok + own.failed
    stats.successes += own.ok
    stats.failures += own.failed
  }
  return stats
}
