// The coordinator's recent past, per minute: finished jobs, their completion tokens and node-side failures, as the
// status page charts them (GET /api/v1/stats/history). SQLite sums the jobs per bucket (db.ts, jobHistory); these
// pure functions pick the buckets and fill the minutes nothing happened in, so the page draws an even time axis.

export type HistoryBucket = {
  /** Start of the bucket, unix seconds (a multiple of the bucket length). */
  t: number
  /** Jobs that finished with a result. */
  jobs: number
  /** Completion tokens of those jobs. */
  tokens: number
  /** Jobs that failed on the node's side (the failures the node's success rate counts). */
  failures: number
}

export type HistoryRange = { start: number; end: number; bucketSeconds: number }

export const historyBucketSeconds = 60
export const defaultHistoryWindow = 3600
/** A day of minutes at most: the page asks for an hour, and a query stays a bounded index range. */
export const maxHistoryWindow = 86_400

/**
 * The buckets ending with the one `now` falls in: `[start, end)` holds `windowSeconds` rounded up to whole buckets,
 * aligned to the bucket length so two reads a few seconds apart agree on every bucket but the newest.
 */
export function historyRange(now: number, windowSeconds: number, bucketSeconds = historyBucketSeconds): HistoryRange {
  const end = (Math.floor(now / bucketSeconds) + 1) * bucketSeconds
  const count = Math.max(1, Math.ceil(windowSeconds / bucketSeconds))
  return { start: end - count * bucketSeconds, end, bucketSeconds }
}

/** Every bucket of `range` in time order, the sums SQLite found (keyed by bucket start) and zeros elsewhere. */
export function fillHistory(range: HistoryRange, sums: Iterable<HistoryBucket>): HistoryBucket[] {
  const found = new Map<number, HistoryBucket>()
  for (const s of sums) if (s.t >= range.start && s.t < range.end) found.set(s.t, s)
  const out: HistoryBucket[] = []
  for (let t = range.start; t < range.end; t += range.bucketSeconds) {
    const s = found.get(t)
    out.push({ t, jobs: s?.jobs ?? 0, tokens: s?.tokens ?? 0, failures: s?.failures ?? 0 })
  }
  return out
}

/** `window` query parameter: whole seconds, one bucket to maxHistoryWindow; undefined when malformed. */
export function parseHistoryWindow(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return defaultHistoryWindow
  if (!/^\d{1,6}$/.test(raw)) return undefined
  const n = Number(raw)
  return n >= historyBucketSeconds && n <= maxHistoryWindow ? n : undefined
}
