// The indexer: every Infernet event the coordinator cares about, from every configured relay, validated at the
// door with the src/protocol parsers (forged or malformed events are counted and dropped, never stored), then
// applied in batches: one SQLite transaction per tick, and the in-memory market updated in the same pass.
import { parseCapability } from '../protocol/capability.ts'
import { nowSeconds, type Rejected } from '../protocol/event.ts'
import { parseHeartbeat } from '../protocol/heartbeat.ts'
import type { JobRequest } from '../protocol/jobRequest.ts'
import * as kinds from '../protocol/kinds.ts'
import { createEventVerifier, type EventVerifier } from '../protocol/verify.ts'
import { createFastEventVerifier } from '../schnorr/fastest.ts'
import { silentLogger, type Logger } from '../log.ts'
import type { Filter, RelayPool, Subscription } from '../net/relayPool.ts'
import { applyIndexed, type JobUpdate, type RecentJob } from './applyIndexed.ts'
import type { CoordinatorDb } from './db.ts'
import { parseIndexedEvent, type IndexedItem } from './indexedEvent.ts'
import type { MarketIndex } from './marketIndex.ts'

export type { JobUpdate } from './applyIndexed.ts'

export type IndexerCounters = {
  received: number
  duplicates: number
  indexed: Record<string, number>
  rejected: Record<string, number>
  stale: number
}

export type CreateIndexerParameters = {
  db: CoordinatorDb
  market: MarketIndex
  pool?: RelayPool | undefined
  logger?: Logger | undefined
  now?: (() => number) | undefined
  flushMs?: number | undefined
  statsWindowSeconds?: number | undefined
  /** Called after each flush with the job updates it made (the SSE streams listen here). */
  onJobUpdate?: ((update: JobUpdate) => void) | undefined
  /** Id and signature checks, this indexer's own; default @noble/curves until start() has loaded libsecp256k1 (WASM). */
  verify?: EventVerifier | undefined
}

export type Indexer = ReturnType<typeof createIndexer>

export function createIndexer({ db, market, pool, logger = silentLogger, now = nowSeconds, flushMs = 50, statsWindowSeconds = 7 * 24 * 3600, onJobUpdate, verify: verifyOption }: CreateIndexerParameters) {
  let verify: EventVerifier = verifyOption ?? createEventVerifier()
  const counters: IndexerCounters = { received: 0, duplicates: 0, indexed: {}, rejected: {}, stale: 0 }
  const seen = new Set<string>()
  const queue: IndexedItem[] = []
  let timer: ReturnType<typeof setTimeout> | undefined
  let subscription: Subscription | undefined
  let closed = false
  const listeners = new Set<(u: JobUpdate) => void>()
  if (onJobUpdate) listeners.add(onJobUpdate)
  /** Indexing times (unix seconds, from the injected clock) and token counts of recent results, for jobs/s and tokens/s. */
  const recent: RecentJob[] = []

  // Rebuild the in-memory market from the cache first; relays then bring it up to date.
  for (const { pubkey, stats } of db.allStats()) {
    Object.assign(market.statsFor(pubkey), stats)
    market.touchPubkey(pubkey)
  }
  for (const event of db.nodeEvents()) {
    if (event.kind === kinds.Capability) {
      const r = parseCapability(event, { trusted: true, now: now() })
      if (r.ok) market.setCapability(r.data, r.event)
    } else if (event.kind === kinds.Heartbeat) {
      const r = parseHeartbeat(event, { trusted: true, now: now() })
      if (r.ok) market.setHeartbeat(r.data, r.event)
    }
  }

  function rejectEvent(kind: number, r: Rejected): false {
    const key = `${kind}:${r.code}`
    counters.rejected[key] = (counters.rejected[key] ?? 0) + 1
    logger.debug('dropped event', { kind, reason: r.reason })
    return false
  }

  function scheduleFlush(): void {
    if (timer || closed) return
    timer = setTimeout(() => {
      timer = undefined
      flush()
    }, flushMs)
  }

  /** Validates one event from a relay (or anywhere) and queues it. Returns whether it was accepted. */
  function ingest(input: unknown): boolean {
    counters.received++
    const id = typeof input === 'object' && input !== null ? (input as { id?: unknown }).id : undefined
    if (typeof id === 'string' && seen.has(id)) {
      counters.duplicates++
      return false
    }
    const parsed = parseIndexedEvent(input, { now: now(), verify })
    if (!parsed.ok) {
      const kind = typeof input === 'object' && input !== null ? (input as { kind?: unknown }).kind : undefined
      return rejectEvent(typeof kind === 'number' ? kind : -1, parsed)
    }
    const item = parsed.item
    seen.add(item.event.id)
    if (seen.size > 200_000) seen.delete(seen.values().next().value as string)
    queue.push(item)
    scheduleFlush()
    return true
  }

  /** A job request that came through POST /api/v1/jobs: records who it is for, so foreign results are ignored. */
  function recordSubmitted(job: JobRequest, model: string | null = null): void {
    queue.push({ type: 'submitted', data: job, model })
    scheduleFlush()
  }

  function count(type: string): void {
    counters.indexed[type] = (counters.indexed[type] ?? 0) + 1
  }

  /** Applies everything queued in one transaction. Returns how many items were applied. */
  function flush(): number {
    if (timer) {
      clearTimeout(timer)
      timer = undefined
    }
    if (queue.length === 0) return 0
    const items = queue.splice(0)
    const updates: JobUpdate[] = []
    db.transaction(() => {
      const touchedStats = new Set<string>()
      const ctx = { db, market, now, count, stale: () => void counters.stale++, recent, touchedStats, updates }
      for (const item of items) applyIndexed(item, ctx)
      for (const pubkey of touchedStats) {
        db.putStats(pubkey, market.statsFor(pubkey))
        market.touchPubkey(pubkey)
      }
    })
    const cutoff = now() - 60
    while (recent.length && recent[0]!.at < cutoff) recent.shift()
    for (const u of updates) for (const l of listeners) l(u)
    return items.length
  }

  /** Events asked per REQ page; relays cap `limit` (ours at 5000 by default). */
  const backfillPage = 5000
  let backfilledResolve: () => void = () => {}
  const backfilled = new Promise<void>((resolve) => (backfilledResolve = resolve))

  /** Loads the fastest verifier (unless one was given), then subscribes to every relay with a backfill. */
  async function start(): Promise<void> {
    if (!verifyOption) verify = await createFastEventVerifier({ onFallback: (line) => logger.warn(line) })
    if (!pool || closed) {
      backfilledResolve()
      return
    }
    const since = now() - statsWindowSeconds
    const filters: Filter[] = [
      { kinds: [kinds.Capability], limit: backfillPage },
      { kinds: [kinds.Heartbeat], limit: backfillPage },
      { kinds: [kinds.JobResult, kinds.JobStatus, kinds.Receipt, kinds.AuditVerdict, kinds.ResultRejection], since, limit: backfillPage },
    ]
    const pending = new Set(pool.status().map((r) => r.url))
    let subscriptionDone!: () => void
    const firstPage = new Promise<void>((resolve) => (subscriptionDone = resolve))
    const eose = (relay: string) => {
      pending.delete(relay)
      if (pending.size === 0) subscriptionDone()
    }
    // dedupe: false — the pool would drop by id BEFORE validation, so a lying relay that sends a corrupted copy
    // first would hide the genuine event from honest relays. `ingest` dedupes only ids that passed validation.
    // Events per kind in the first page: a kind that filled its page on some relay is paged back further.
    const firstPageCounts = new Map<number, number>()
    subscription = pool.subscribe(filters, {
      onEvent: (e) => {
        if (pending.size > 0) firstPageCounts.set(e.kind, (firstPageCounts.get(e.kind) ?? 0) + 1)
        void ingest(e)
      },
      onEose: eose,
      onClosed: eose,
      dedupe: false,
    })
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref())
    void Promise.race([firstPage, timeout])
      .then(async () => {
        flush()
        // The subscription's first page holds the newest `backfillPage` events per kind; a larger market is paged
        // back in time so a rebuilt index misses no live node.
        for (const kind of [kinds.Capability, kinds.Heartbeat]) if ((firstPageCounts.get(kind) ?? 0) >= backfillPage) await pageBack(kind)
      })
      .catch((err: Error) => logger.warn('backfill paging failed', { error: err.message }))
      .finally(() => {
        flush()
        backfilledResolve()
      })
  }

  /** Pages `{kinds:[kind]}` back with `until` until a page brings nothing new (at most 200 pages). */
  async function pageBack(kind: number): Promise<void> {
    if (!pool) return
    const seen = new Set<string>()
    let until: number | undefined
    for (let pageNo = 0; pageNo < 200 && !closed; pageNo++) {
      const events = await pool.query([{ kinds: [kind], limit: backfillPage, ...(until !== undefined ? { until } : {}) }], { timeoutMs: 10_000 })
      let fresh = 0
      for (const event of events) {
        if (seen.has(event.id)) continue
        seen.add(event.id)
        fresh++
        ingest(event)
      }
      flush()
      if (fresh === 0 || events.length === 0) return
      // Inclusive: events sharing the boundary second come again and are skipped as seen.
      until = events.reduce((min, e) => Math.min(min, e.created_at), Number.MAX_SAFE_INTEGER)
    }
  }

  /** Forgets expired nodes (memory and cache) and job records older than the stats window. */
  function sweep(): void {
    if (closed) return
    const t = now()
    try {
      db.transaction(() => {
        for (const pubkey of market.sweep(t)) db.deleteNode(pubkey)
        db.prune(t - statsWindowSeconds)
      })
    } catch (err) {
      logger.error('sweep failed', { error: (err as Error).message })
    }
  }
  const sweeper = setInterval(sweep, 60_000)
  sweeper.unref()

  return {
    counters,
    /** This indexer's event verifier (libsecp256k1 once start() loaded it): the API checks what it is handed with it too. */
    get verifier(): EventVerifier {
      return verify
    },
    ingest,
    sweep,
    recordSubmitted,
    flush,
    start,
    /** Resolves once every relay sent EOSE for the backfill (or after 10 s). */
    backfilled,
    onJobUpdate(listener: (u: JobUpdate) => void): () => void {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    /** Jobs/s, completion tokens/s and failures over the last minute (by indexing time). */
    rates(): { jobsPerSecond: number; tokensPerSecond: number; failuresPerMinute: number } {
      const cutoff = now() - 60
      let jobs = 0
      let tokens = 0
      let failures = 0
      for (const r of recent) {
        if (r.at < cutoff) continue
        if (r.failed) failures++
        else jobs++
        tokens += r.tokens
      }
      return { jobsPerSecond: jobs / 60, tokensPerSecond: tokens / 60, failuresPerMinute: failures }
    },
    close(): void {
      closed = true
      clearInterval(sweeper)
      subscription?.close()
      flush()
    },
  }
}
