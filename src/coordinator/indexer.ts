// The indexer: every Infernet event the coordinator cares about, from every configured relay, validated at the
// door with the src/protocol parsers (forged or malformed events are counted and dropped, never stored), then
// applied in batches: one SQLite transaction per tick, and the in-memory market updated in the same pass.
import { parseCapability, type Capability } from '../protocol/capability.ts'
import { nowSeconds, type NostrEvent, type Rejected } from '../protocol/event.ts'
import { parseHeartbeat, type Heartbeat } from '../protocol/heartbeat.ts'
import type { JobRequest } from '../protocol/jobRequest.ts'
import { parseJobResult, type JobResult } from '../protocol/jobResult.ts'
import { parseJobStatus, type JobStatus } from '../protocol/jobStatus.ts'
import * as kinds from '../protocol/kinds.ts'
import { parseReceiptEvent } from '../protocol/receipt.ts'
import { createEventVerifier, loadWasmEventVerifier, type EventVerifier } from '../protocol/verify.ts'
import { silentLogger, type Logger } from '../log.ts'
import type { Filter, RelayPool, Subscription } from '../net/relayPool.ts'
import type { CoordinatorDb, JobRow } from './db.ts'
import { isNewer, type MarketIndex } from './marketIndex.ts'

export const indexedKinds = [kinds.Capability, kinds.Heartbeat, kinds.JobResult, kinds.JobStatus, kinds.Receipt] as const

/** Error codes that count against a node's success rate; the others are the client's doing or a refusal. */
export const nodeFaultCodes: ReadonlySet<string> = new Set(['backend', 'internal'])
const terminalStatuses: ReadonlySet<string> = new Set(['success', 'error', 'cancelled'])

export type JobUpdate = { job: string; type: 'status' | 'result'; event: NostrEvent; row: JobRow }

type Queued =
  | { type: 'capability'; event: NostrEvent; data: Capability }
  | { type: 'heartbeat'; event: NostrEvent; data: Heartbeat }
  | { type: 'status'; event: NostrEvent; data: JobStatus }
  | { type: 'result'; event: NostrEvent; data: JobResult }
  | { type: 'receipt'; event: NostrEvent; data: { node: string; client: string; job: string | undefined; createdAt: number } }
  | { type: 'submitted'; data: JobRequest; model: string | null }

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
  const queue: Queued[] = []
  let timer: ReturnType<typeof setTimeout> | undefined
  let subscription: Subscription | undefined
  let closed = false
  const listeners = new Set<(u: JobUpdate) => void>()
  if (onJobUpdate) listeners.add(onJobUpdate)
  /** Indexing times (unix seconds, from the injected clock) and token counts of recent results, for jobs/s and tokens/s. */
  const recent: { at: number; tokens: number; failed: boolean }[] = []

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
    const kind = typeof input === 'object' && input !== null ? (input as { kind?: unknown }).kind : undefined
    const options = { now: now(), verify }
    let item: Queued
    switch (kind) {
      case kinds.Capability: {
        const r = parseCapability(input, options)
        if (!r.ok) return rejectEvent(kind, r)
        item = { type: 'capability', event: r.event, data: r.data }
        break
      }
      case kinds.Heartbeat: {
        const r = parseHeartbeat(input, options)
        if (!r.ok) return rejectEvent(kind, r)
        item = { type: 'heartbeat', event: r.event, data: r.data }
        break
      }
      case kinds.JobStatus: {
        const r = parseJobStatus(input, options)
        if (!r.ok) return rejectEvent(kind, r)
        item = { type: 'status', event: r.event, data: r.data }
        break
      }
      case kinds.JobResult: {
        const r = parseJobResult(input, options)
        if (!r.ok) return rejectEvent(kind, r)
        item = { type: 'result', event: r.event, data: r.data }
        break
      }
      case kinds.Receipt: {
        const r = parseReceiptEvent(input, options)
        if (!r.ok) return rejectEvent(kind, r)
        item = { type: 'receipt', event: r.event, data: r.data }
        break
      }
      default:
        return rejectEvent(typeof kind === 'number' ? kind : -1, { ok: false, code: 'wrong-kind', reason: 'invalid: kind not indexed' })
    }
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

  function newJob(id: string, at: number): JobRow {
    return {
      id, client: null, node: null, model: null, status: 'submitted', code: null, message: null, outcome: null, result_id: null,
      prompt_tokens: null, completion_tokens: null, amount: null, ttft_ms: null, duration_ms: null, created_at: at, updated_at: at,
    }
  }

  function count(type: string): void {
    counters.indexed[type] = (counters.indexed[type] ?? 0) + 1
  }

  function apply(item: Queued, touchedStats: Set<string>, updates: JobUpdate[]): void {
    switch (item.type) {
      case 'capability':
        if (market.setCapability(item.data, item.event)) {
          db.putNodeEvent(item.event)
          count('capability')
        } else counters.stale++
        return
      case 'heartbeat': {
        const node = market.nodes.get(item.data.pubkey)
        const before = node?.heartbeatEvent ?? market.orphanHeartbeats.get(item.data.pubkey)?.event
        if (isNewer(item.event, before) && market.setHeartbeat(item.data, item.event)) {
          db.putNodeEvent(item.event)
          count('heartbeat')
        } else counters.stale++
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
      case 'receipt': {
        if (db.putReceipt(item.event.id, item.data.node, item.data.client, item.data.job, item.data.createdAt)) {
          market.statsFor(item.data.node).receipts++
          touchedStats.add(item.data.node)
          count('receipt')
        }
        return
      }
      case 'status': {
        const s = item.data
        const row = db.getJob(s.job) ?? newJob(s.job, s.createdAt)
        // Only the node a job was addressed to may speak about it; the first signer claims an unknown job.
        if (row.node && row.node !== s.node) return void counters.stale++
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
            const st = market.statsFor(s.node)
            st.jobs++
            st.failures++
            touchedStats.add(s.node)
            if (s.createdAt >= now() - 60) recent.push({ at: now(), tokens: 0, failed: true })
          } else if (s.status === 'cancelled' || s.status === 'error') {
            row.outcome = s.status === 'cancelled' ? 'cancelled' : 'refused'
          }
        }
        db.putJob(row)
        db.putJobEvent(s.job, item.event)
        count('status')
        updates.push({ job: s.job, type: 'status', event: item.event, row })
        return
      }
      case 'result': {
        const r = item.data
        const row = db.getJob(r.job) ?? newJob(r.job, r.createdAt)
        if ((row.node && row.node !== r.node) || row.result_id) return void counters.stale++
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
          touchedStats.add(r.node)
          if (r.createdAt >= now() - 60) recent.push({ at: now(), tokens: r.usage.completionTokens, failed: false })
        }
        db.putJob(row)
        db.putJobEvent(r.job, item.event)
        count('result')
        updates.push({ job: r.job, type: 'result', event: item.event, row })
        return
      }
    }
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
      const touched = new Set<string>()
      for (const item of items) apply(item, touched, updates)
      for (const pubkey of touched) {
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

  /** Loads the WASM verifier (unless one was given), then subscribes to every relay with a backfill. */
  async function start(): Promise<void> {
    if (!verifyOption) {
      try {
        verify = await loadWasmEventVerifier()
      } catch (err) {
        logger.warn('libsecp256k1 (WASM) unavailable; verifying in JavaScript', { error: (err as Error).message })
      }
    }
    if (!pool || closed) {
      backfilledResolve()
      return
    }
    const since = now() - statsWindowSeconds
    const filters: Filter[] = [
      { kinds: [kinds.Capability], limit: backfillPage },
      { kinds: [kinds.Heartbeat], limit: backfillPage },
      { kinds: [kinds.JobResult, kinds.JobStatus, kinds.Receipt], since, limit: backfillPage },
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
