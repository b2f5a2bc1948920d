// The direct channel to a node: one WebSocket per node stream endpoint (GET {stream}/v1/ws), multiplexed by
// job id. Frames are JSON (src/protocol/frames.ts). When the socket closes, every job on it hears `closed`
// and the next job opens a fresh socket.
import type { WebSocketConstructor } from '../src/net/relayPool.ts'
import { wsUrl, nodeFrame, type ClientFrame, type NodeFrame } from '../src/protocol/frames.ts'
import type { Logger } from '../src/log.ts'

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

  constructor({ url, WebSocket, logger, onGone }: { url: string; WebSocket: WebSocketConstructor; logger: Logger; onGone: () => void }) {
    this.url = url
    this.#WebSocket = WebSocket
    this.#logger = logger
    this.#onGone = onGone
  }

  get isOpen(): boolean {
    return this.#ws?.readyState === OPEN
  }

  /** Opens the socket (once); rejects when it cannot connect within `timeoutMs`. */
  open(timeoutMs: number): Promise<void> {
    if (this.#opening) return this.#opening
    this.#opening = new Promise<void>((resolve, reject) => {
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
    return this.#opening
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
    const job = 'job' in frame ? frame.job : undefined
    if (job === undefined) {
      if (frame.type === 'error') this.#logger.warn('node reported a channel error', { code: frame.code })
      return
    }
    this.#jobs.get(job)?.onFrame(frame)
  }

  #gone(reason: string): void {
    if (this.#closed) return
    this.#closed = true
    this.#onGone()
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

  close(): void {
    this.#gone('client closed')
  }
}

/** One DirectConnection per node stream endpoint. */
export class DirectChannels {
  readonly #conns = new Map<string, DirectConnection>()
  readonly #WebSocket: WebSocketConstructor
  readonly #logger: Logger

  constructor({ WebSocket, logger }: { WebSocket: WebSocketConstructor; logger: Logger }) {
    this.#WebSocket = WebSocket
    this.#logger = logger
  }

  get(streamBase: string): DirectConnection {
    const url = wsUrl(streamBase)
    let conn = this.#conns.get(url)
    if (!conn) {
      const created: DirectConnection = new DirectConnection({
        url,
        WebSocket: this.#WebSocket,
        logger: this.#logger,
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
