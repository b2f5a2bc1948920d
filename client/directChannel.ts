// The direct channel to a node: one WebSocket per node stream endpoint (GET {stream}/v1/ws), multiplexed by
// job id. Frames are JSON (src/protocol/frames.ts). When the socket closes, every job on it hears `closed`
// and the next job opens a fresh socket. With a signer, the socket is authenticated once when it opens (an
// `auth` frame), so jobs on it travel without an auth event each: one signature less per job on both sides.
import type { WebSocketConstructor } from '../src/net/relayPool.ts'
import { buildAuthEvent } from '../src/protocol/auth.ts'
import { wsUrl, nodeFrame, type ClientFrame, type NodeFrame } from '../src/protocol/frames.ts'
import type { Logger } from '../src/log.ts'
import type { NostrEvent } from '../src/protocol/event.ts'
import type { Signer } from '../src/signer.ts'

/** A node's answer to a receipt frame: for the client's receipt outbox, whether or not the job is still open. */
export type ReceiptAck = { job?: string | undefined; receipt?: string | undefined; accepted: boolean; reason?: string | undefined }
export type ReceiptAckHandler = (ack: ReceiptAck) => void

export type DirectJobHandler = {
  onFrame(frame: NodeFrame): void
  onClosed(reason: string): void
}

type Socket = InstanceType<WebSocketConstructor>

const OPEN = 1

export class DirectConnection {
  readonly url: string
  readonly #jobs = new Map<string, DirectJobHandler>()
  #ws: Socket | undefined
  #opening: Promise<void> | undefined
  #closed = false
  readonly #WebSocket: WebSocketConstructor
  readonly #logger: Logger
  readonly #onGone: () => void
  readonly #signer: Signer | undefined
  readonly #onReceiptAck: ReceiptAckHandler | undefined
  /** Settles the pending connection auth: true when the node answered `authenticated`. */
  #authWaiter: ((ok: boolean) => void) | undefined
  /** Receipts sent with sendReceipt, waiting for the node's answer (by receipt event id). */
  readonly #receiptWaiters = new Map<string, (ack: ReceiptAck | undefined) => void>()
  /** The pubkey the node accepted this connection as; jobs by that author need no auth event. */
  authenticatedAs: string | undefined

  constructor({ url, WebSocket, logger, onGone, signer, onReceiptAck }: { url: string; WebSocket: WebSocketConstructor; logger: Logger; onGone: () => void; signer?: Signer | undefined; onReceiptAck?: ReceiptAckHandler | undefined }) {
    this.url = url
    this.#WebSocket = WebSocket
    this.#logger = logger
    this.#onGone = onGone
    this.#signer = signer
    this.#onReceiptAck = onReceiptAck
  }

  get isOpen(): boolean {
    return this.#ws?.readyState === OPEN
  }

  /**
   * Opens the socket (once) and, with a signer, authenticates it; rejects when it cannot connect within
   * `timeoutMs`. A node that refuses the connection auth still serves jobs that carry their own auth event.
   */
  open(timeoutMs: number): Promise<void> {
    if (this.#opening) return this.#opening
    this.#opening = this.#connect(timeoutMs).then(() => this.#authenticate(timeoutMs))
    return this.#opening
  }

  async #authenticate(timeoutMs: number): Promise<void> {
    const signer = this.#signer
    if (!signer) return
    const event = await buildAuthEvent(signer, { url: this.url, method: 'WS', connection: true })
    const ok = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => settle(false), timeoutMs)
      const settle = (accepted: boolean) => {
        clearTimeout(timer)
        this.#authWaiter = undefined
        resolve(accepted)
      }
      this.#authWaiter = settle
      if (!this.send({ type: 'auth', event })) settle(false)
    })
    if (ok) this.authenticatedAs = signer.pubkey
    else this.#logger.info('node did not accept the connection auth; jobs carry their own', { url: this.url })
  }

  #connect(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false
      const fail = (reason: string) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        this.#gone(reason)
        reject(new Error(reason))
      }
      const timer = setTimeout(() => fail(`no connection within ${timeoutMs} ms`), timeoutMs)
      let ws: Socket
      try {
        ws = new this.#WebSocket(this.url)
      } catch (err) {
        fail((err as Error).message)
        return
      }
      this.#ws = ws
      ws.onopen = () => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        resolve()
      }
      ws.onerror = () => {}
      ws.onclose = () => {
        if (!settled) fail('connection refused or closed')
        else this.#gone('connection closed')
      }
      ws.onmessage = (msg) => this.#onMessage(typeof msg.data === 'string' ? msg.data : String(msg.data))
    })
  }

  #onMessage(data: string): void {
    let raw: unknown
    try {
      raw = JSON.parse(data)
    } catch {
      this.#logger.debug('unreadable frame from node')
      return
    }
    const parsed = nodeFrame.safeParse(raw)
    if (!parsed.success) {
      this.#logger.debug('invalid frame from node', { error: parsed.error.issues[0]?.message })
      return
    }
    const frame = parsed.data
    // A receipt is paid after its job ended, so its answer has no job handler left to go to.
    if (frame.type === 'receipt-ack') {
      const ack = { job: frame.job, receipt: frame.receipt, accepted: frame.accepted, reason: frame.reason }
      if (frame.receipt) this.#receiptWaiters.get(frame.receipt)?.(ack)
      this.#onReceiptAck?.(ack)
    }
    const job = 'job' in frame ? frame.job : undefined
    if (job === undefined) {
      if (frame.type === 'authenticated') return this.#authWaiter?.(frame.pubkey === this.#signer?.pubkey)
      if (frame.type === 'error') {
        // While the connection auth is pending, an error without a job is its answer.
        if (this.#authWaiter) return this.#authWaiter(false)
        this.#logger.warn('node reported a channel error', { code: frame.code })
      }
      return
    }
    this.#jobs.get(job)?.onFrame(frame)
  }

  #gone(reason: string): void {
    if (this.#closed) return
    this.#closed = true
    this.#authWaiter?.(false)
    this.#onGone()
    for (const settle of [...this.#receiptWaiters.values()]) settle(undefined)
    const jobs = [...this.#jobs.values()]
    this.#jobs.clear()
    for (const j of jobs) j.onClosed(reason)
    try {
      this.#ws?.close()
    } catch {
      // already closed
    }
  }

  register(job: string, handler: DirectJobHandler): () => void {
    this.#jobs.set(job, handler)
    return () => {
      if (this.#jobs.get(job) === handler) this.#jobs.delete(job)
    }
  }

  send(frame: ClientFrame): boolean {
    if (!this.#ws || this.#ws.readyState !== OPEN) return false
    this.#ws.send(JSON.stringify(frame))
    return true
  }

  /**
   * Sends a receipt and waits for the node's answer to it: the ack, or undefined when the connection closed or no
   * answer came within `timeoutMs` (a node too old to name the receipt in its ack answers only by job).
   */
  async sendReceipt(event: NostrEvent, timeoutMs: number): Promise<ReceiptAck | undefined> {
    await this.open(timeoutMs)
    return new Promise((resolve) => {
      const settle = (ack: ReceiptAck | undefined) => {
        clearTimeout(timer)
        this.#receiptWaiters.delete(event.id)
        resolve(ack)
      }
      const timer = setTimeout(() => settle(undefined), timeoutMs)
      this.#receiptWaiters.set(event.id, settle)
      if (!this.send({ type: 'receipt', event })) settle(undefined)
    })
  }

  close(): void {
    this.#gone('client closed')
  }
}

/** One DirectConnection per node stream endpoint. */
export class DirectChannels {
  readonly #conns = new Map<string, DirectConnection>()
  readonly #WebSocket: WebSocketConstructor
  readonly #logger: Logger
  readonly #signer: Signer | undefined
  readonly #onReceiptAck: ReceiptAckHandler | undefined

  constructor({ WebSocket, logger, signer, onReceiptAck }: { WebSocket: WebSocketConstructor; logger: Logger; signer?: Signer | undefined; onReceiptAck?: ReceiptAckHandler | undefined }) {
    this.#WebSocket = WebSocket
    this.#logger = logger
    this.#signer = signer
    this.#onReceiptAck = onReceiptAck
  }

  get(streamBase: string): DirectConnection {
    const url = wsUrl(streamBase)
    let conn = this.#conns.get(url)
    if (!conn) {
      const created: DirectConnection = new DirectConnection({
        url,
        WebSocket: this.#WebSocket,
        logger: this.#logger,
        signer: this.#signer,
        onReceiptAck: this.#onReceiptAck,
        onGone: () => {
          if (this.#conns.get(url) === created) this.#conns.delete(url)
        },
      })
      conn = created
      this.#conns.set(url, conn)
    }
    return conn
  }

  /** An open connection to this endpoint, if there is one (for receipts). */
  peek(streamBase: string): DirectConnection | undefined {
    const conn = this.#conns.get(wsUrl(streamBase))
    return conn?.isOpen ? conn : undefined
  }

  closeAll(): void {
    for (const c of [...this.#conns.values()]) c.close()
    this.#conns.clear()
  }
}
