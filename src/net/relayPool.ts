// A small NIP-01 client for many relays at once: each relay has its own socket that reconnects with
// exponential backoff and re-sends open subscriptions; publish waits for each relay's OK; events are
// deduplicated by id across relays. Isomorphic: the WebSocket class is injected (global one by default).
import type { Filter } from 'nostr-tools/filter'
import { BaseError, redactUrl } from '../errors/base.ts'
import { silentLogger, type Logger } from '../log.ts'
import type { NostrEvent } from '../protocol/event.ts'

export type { Filter }

type WebSocketLike = {
  readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((ev: unknown) => void) | null
  onclose: ((ev: unknown) => void) | null
  onerror: ((ev: unknown) => void) | null
  onmessage: ((ev: { data: unknown }) => void) | null
}
export type WebSocketConstructor = new (url: string) => WebSocketLike

export type PublishOutcome = { relay: string; ok: boolean; message: string }

export class PublishError extends BaseError {
  override name = 'PublishError'
  override code = 'publish-failed'
  readonly outcomes: PublishOutcome[]
  constructor(eventId: string, outcomes: PublishOutcome[]) {
    super(`No relay accepted event ${eventId.slice(0, 12)}…`, {
      metaMessages: outcomes.length ? outcomes.map((o) => `${o.relay}: ${o.message}`) : ['No relay is connected. Check the relay URLs and that the relays are running.'],
    })
    this.outcomes = outcomes
  }
}

export type SubscribeParameters = {
  onEvent: (event: NostrEvent, relay: string) => void
  /** Called once per relay per (re)subscription when stored events are exhausted. */
  onEose?: ((relay: string) => void) | undefined
  onClosed?: ((relay: string, reason: string) => void) | undefined
  /** Drop events already delivered from another relay (default true). */
  dedupe?: boolean | undefined
  /**
   * Checks an event before it counts as seen: a relay that sends a corrupted copy first must not hide the genuine
   * one that arrives from another relay. Events failing it are dropped.
   */
  verify?: ((event: NostrEvent) => boolean) | undefined
}

export type Subscription = { id: string; close(): void }

export type RelayPoolParameters = {
  urls: string[]
  WebSocket?: WebSocketConstructor | undefined
  logger?: Logger | undefined
  reconnect?: { initialMs?: number | undefined; maxMs?: number | undefined } | undefined
  publishTimeoutMs?: number | undefined
}

type SubState = { id: string; filters: Filter[]; params: SubscribeParameters; seen: Set<string> | undefined; closed: boolean }

const OPEN = 1

class RelayConnection {
  ws: WebSocketLike | undefined
  attempts = 0
  connected = false
  /** Why the last attempt failed (the socket's error, or a close before it opened), for messages that name it. */
  lastError: string | undefined
  closed = false
  timer: ReturnType<typeof setTimeout> | undefined
  pendingOk = new Map<string, (ok: boolean, message: string) => void>()
  readyWaiters: (() => void)[] = []

  constructor(
    readonly url: string,
    private readonly pool: RelayPool,
  ) {}

  connect(): void {
    if (this.closed) return
    let ws: WebSocketLike
    try {
      ws = new this.pool.WebSocketImpl(this.url)
    } catch (err) {
      this.lastError = (err as Error).message
      this.pool.logger.warn('cannot open socket', { relay: redactUrl(this.url), error: (err as Error).message })
      this.scheduleReconnect()
      return
    }
    this.ws = ws
    ws.onopen = () => {
      this.connected = true
      this.attempts = 0
      this.lastError = undefined
      this.pool.logger.debug('connected', { relay: redactUrl(this.url) })
      for (const sub of this.pool.subs.values()) if (!sub.closed) this.sendReq(sub)
      for (const w of this.readyWaiters.splice(0)) w()
    }
    ws.onmessage = (msg) => this.onMessage(typeof msg.data === 'string' ? msg.data : String(msg.data))
    ws.onerror = (ev) => {
      const message = (ev as { message?: unknown } | null)?.message
      this.lastError = typeof message === 'string' && message ? message : 'connection failed'
    }
    ws.onclose = () => {
      const wasConnected = this.connected
      this.connected = false
      this.ws = undefined
      for (const [id, resolve] of this.pendingOk) {
        resolve(false, 'error: connection closed before OK')
        this.pendingOk.delete(id)
      }
      if (!wasConnected) this.lastError ??= 'closed before the connection opened'
      // A close this process asked for is not news.
      else if (!this.closed) this.pool.logger.info('disconnected', { relay: redactUrl(this.url) })
      this.scheduleReconnect()
    }
  }

  scheduleReconnect(): void {
    if (this.closed) return
    const { initialMs, maxMs } = this.pool.backoff
    const delay = Math.min(maxMs, initialMs * 2 ** this.attempts) * (0.75 + Math.random() * 0.5)
    this.attempts++
    this.timer = setTimeout(() => this.connect(), delay)
  }

  send(message: unknown[]): boolean {
    if (!this.ws || this.ws.readyState !== OPEN) return false
    this.ws.send(JSON.stringify(message))
    return true
  }

  sendReq(sub: SubState): void {
    this.send(['REQ', sub.id, ...sub.filters])
  }

  onMessage(data: string): void {
    let msg: unknown
    try {
      msg = JSON.parse(data)
    } catch {
      return
    }
    if (!Array.isArray(msg)) return
    const [type, a, b, c] = msg as [string, unknown, unknown, unknown]
    if (type === 'EVENT' && typeof a === 'string') {
      const sub = this.pool.subs.get(a)
      if (!sub || sub.closed || typeof b !== 'object' || b === null) return
      const event = b as NostrEvent
      if (sub.params.verify && !sub.params.verify(event)) return
      if (sub.seen) {
        if (sub.seen.has(event.id)) return
        sub.seen.add(event.id)
        if (sub.seen.size > 50_000) sub.seen.delete(sub.seen.values().next().value as string)
      }
      sub.params.onEvent(event, this.url)
    } else if (type === 'OK' && typeof a === 'string') {
      const resolve = this.pendingOk.get(a)
      if (resolve) {
        this.pendingOk.delete(a)
        resolve(b === true, typeof c === 'string' ? c : '')
      }
    } else if (type === 'EOSE' && typeof a === 'string') {
      this.pool.subs.get(a)?.params.onEose?.(this.url)
    } else if (type === 'CLOSED' && typeof a === 'string') {
      this.pool.subs.get(a)?.params.onClosed?.(this.url, typeof b === 'string' ? b : '')
    } else if (type === 'NOTICE') {
      this.pool.logger.debug('notice', { relay: redactUrl(this.url), notice: String(a) })
    }
  }

  waitReady(timeoutMs: number): Promise<boolean> {
    if (this.connected) return Promise.resolve(true)
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs)
      this.readyWaiters.push(() => {
        clearTimeout(t)
        resolve(true)
      })
    })
  }

  close(): void {
    this.closed = true
    clearTimeout(this.timer)
    this.ws?.close(1000)
    this.ws = undefined
  }
}

let subCounter = 0

export class RelayPool {
  readonly WebSocketImpl: WebSocketConstructor
  readonly logger: Logger
  readonly backoff: { initialMs: number; maxMs: number }
  readonly publishTimeoutMs: number
  readonly subs = new Map<string, SubState>()
  readonly relays: RelayConnection[]

  constructor({ urls, WebSocket, logger = silentLogger, reconnect = {}, publishTimeoutMs = 5000 }: RelayPoolParameters) {
    const impl = WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
    if (!impl) throw new BaseError('No WebSocket implementation available.', { metaMessages: ['Pass `WebSocket` (e.g. from the "ws" package) to the relay pool.'] })
    this.WebSocketImpl = impl
    this.logger = logger
    this.backoff = { initialMs: reconnect.initialMs ?? 250, maxMs: reconnect.maxMs ?? 30_000 }
    this.publishTimeoutMs = publishTimeoutMs
    this.relays = [...new Set(urls)].map((url) => new RelayConnection(url, this))
    for (const r of this.relays) r.connect()
  }

  /** Resolves when at least `min` relays are connected (or the timeout passes); returns how many are. */
  async ready({ min = 1, timeoutMs = 5000 }: { min?: number; timeoutMs?: number } = {}): Promise<number> {
    const deadline = Date.now() + timeoutMs
    while (this.connectedCount() < Math.min(min, this.relays.length) && Date.now() < deadline) {
      await Promise.race(this.relays.filter((r) => !r.connected).map((r) => r.waitReady(deadline - Date.now())))
    }
    return this.connectedCount()
  }

  connectedCount(): number {
    return this.relays.filter((r) => r.connected).length
  }

  status(): { url: string; connected: boolean; attempts: number; error?: string | undefined }[] {
    return this.relays.map((r) => ({ url: r.url, connected: r.connected, attempts: r.attempts, ...(r.connected || !r.lastError ? {} : { error: r.lastError }) }))
  }

  /** Sends to every connected relay and waits for their OKs. Throws PublishError if none accepted. */
  async publish(event: NostrEvent, { timeoutMs = this.publishTimeoutMs }: { timeoutMs?: number } = {}): Promise<PublishOutcome[]> {
    const outcomes = await Promise.all(
      this.relays.map(
        (r) =>
          new Promise<PublishOutcome>((resolve) => {
            if (!r.connected) return resolve({ relay: r.url, ok: false, message: 'error: not connected' })
            const timer = setTimeout(() => {
              r.pendingOk.delete(event.id)
              resolve({ relay: r.url, ok: false, message: 'error: no OK within timeout' })
            }, timeoutMs)
            r.pendingOk.set(event.id, (ok, message) => {
              clearTimeout(timer)
              resolve({ relay: r.url, ok, message })
            })
            if (!r.send(['EVENT', event])) {
              clearTimeout(timer)
              r.pendingOk.delete(event.id)
              resolve({ relay: r.url, ok: false, message: 'error: not connected' })
            }
          }),
      ),
    )
    // A duplicate is a success: the relay already has the event.
    if (!outcomes.some((o) => o.ok || o.message.startsWith('duplicate:'))) throw new PublishError(event.id, outcomes)
    return outcomes
  }

  /** Fire-and-forget publish for ephemeral events on the hot path (no OK tracking). */
  send(event: NostrEvent): number {
    let sent = 0
    for (const r of this.relays) if (r.send(['EVENT', event])) sent++
    return sent
  }

  subscribe(filters: Filter[], params: SubscribeParameters): Subscription {
    const id = `s${(++subCounter).toString(36)}`
    const state: SubState = { id, filters, params, seen: params.dedupe === false ? undefined : new Set(), closed: false }
    this.subs.set(id, state)
    for (const r of this.relays) if (r.connected) r.sendReq(state)
    return {
      id,
      close: () => {
        if (state.closed) return
        state.closed = true
        this.subs.delete(id)
        for (const r of this.relays) r.send(['CLOSE', id])
      },
    }
  }

  /** Stored events matching the filters from every connected relay, deduplicated, until all EOSE or timeout. */
  query(filters: Filter[], { timeoutMs = 5000 }: { timeoutMs?: number } = {}): Promise<NostrEvent[]> {
    return new Promise((resolve) => {
      const events: NostrEvent[] = []
      const pending = new Set(this.relays.filter((r) => r.connected).map((r) => r.url))
      let sub: Subscription | undefined = undefined
      const finish = () => {
        clearTimeout(timer)
        sub?.close()
        resolve(events)
      }
      const timer = setTimeout(finish, timeoutMs)
      sub = this.subscribe(filters, {
        onEvent: (e) => events.push(e),
        onEose: (relay) => {
          pending.delete(relay)
          if (pending.size === 0) finish()
        },
        onClosed: (relay) => {
          pending.delete(relay)
          if (pending.size === 0) finish()
        },
      })
      if (pending.size === 0) finish()
    })
  }

  close(): void {
    for (const sub of this.subs.values()) sub.closed = true
    this.subs.clear()
    for (const r of this.relays) r.close()
  }
}

export function createRelayPool(parameters: RelayPoolParameters): RelayPool {
  return new RelayPool(parameters)
}
