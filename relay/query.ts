// The read stage REQ and COUNT share: rejectFilter hooks, then the queryEvents hooks after the queued writes are
// committed (so a read sees every event acknowledged before it).
import { compareEvents, isEmptyFilter, type Filter } from './filters.ts'
import type { RelayConnection } from './connection.ts'
import type { RelayContext } from './context.ts'
import { decide, type PolicyDecision } from './hooks.ts'
import type { StoredEvent } from './store/types.ts'

export function judgeFilters(ctx: RelayContext, conn: RelayConnection, filters: readonly Filter[]): PolicyDecision | undefined {
  return decide(ctx.hooks.rejectFilter, filters, { conn, now: ctx.now() })
}

/** Applies config.defaultLimit to filters without a limit and clamps the others to config.maxLimit. */
export function clampLimits(ctx: RelayContext, filters: readonly Filter[]): Filter[] {
  return filters.map((f) => {
    const limit = f.limit === undefined ? ctx.config.defaultLimit : Math.min(f.limit, ctx.config.maxLimit)
    return limit === f.limit ? f : { ...f, limit }
  })
}

const flushWrites = (ctx: RelayContext) => {
  if (ctx.writer.pending > 0) ctx.writer.flushNow()
}

/** Union of the query hooks' answers, in NIP-01 order. */
export function queryEvents(ctx: RelayContext, filters: readonly Filter[]): StoredEvent[] {
  const live = filters.filter((f) => !isEmptyFilter(f))
  if (live.length === 0) return []
  flushWrites(ctx)
  const now = ctx.now()
  const sources = ctx.hooks.queryEvents
  if (sources.length === 1) return sources[0]!.query(live, now)
  const seen = new Map<string, StoredEvent>()
  for (const source of sources) for (const e of source.query(live, now)) seen.set(e.id, e)
  return [...seen.values()].sort(compareEvents)
}

/** NIP-45: distinct events matching any filter, limits ignored. */
export function countEvents(ctx: RelayContext, filters: readonly Filter[]): number {
  const live = filters.map((f) => (f.limit === undefined ? f : { ...f, limit: undefined })).filter((f) => !isEmptyFilter(f))
  if (live.length === 0) return 0
  flushWrites(ctx)
  const now = ctx.now()
  const sources = ctx.hooks.queryEvents
  if (sources.length === 1) return sources[0]!.count(live, now)
  // Sources may hold the same event: count the union, not the sum.
  const ids = new Set<string>()
  for (const source of sources) for (const e of source.query(live, now)) ids.add(e.id)
  return ids.size
}
