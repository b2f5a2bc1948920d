// The node's direct channel (nips/stream.md) on node:http + ws:
//   POST /v1/jobs   SSE: body = job event JSON, `Authorization: Nostr <base64 kind-27235>` binding URL, POST and
//                   sha256(body); answers text/event-stream frames (`event: <type>` / `data: <json>`), `: ping`
//                   every 15 s; closing the request cancels the job.
//   GET  /v1/ws     WebSocket, multiplexed: `{type:'auth', event}` (authenticates the connection once: ws URL,
//                   method WS, no payload), `{type:'job', event, auth?}` (a per-job auth binds the ws URL, method
//                   WS and payload = job event id; it may be left out for the connection's own author),
//                   `{type:'cancel', job}`, `{type:'receipt', event}`.
//   GET  /healthz   `{ ok, pubkey }`;  GET /status  daemon stats, to a caller with the status token only.
// One ReplayGuard covers both transports, so an auth event works exactly once. Auth events may bind only the
// node's announced URL and the operator's extra ones (never the Host header, which any caller sets), and are
// rate-limited per connection and per client address before their signature is checked (nips/stream.md, "Limits").
import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Logger } from '../../src/log.ts'
import { decodeAuthHeader, ReplayGuard, verifyAuthEvent } from '../../src/protocol/auth.ts'
import { getTagValue, type NostrEvent } from '../../src/protocol/event.ts'
import { clientFrame, streamPaths, type NodeFrame } from '../../src/protocol/frames.ts'
import * as kinds from '../../src/protocol/kinds.ts'
import { maxEventBytes } from '../../src/protocol/limits.ts'
import type { Executor, JobSink } from '../jobs/executor.ts'
import type { PaymentGate } from '../paymentGate.ts'
import type { EventVerifier } from '../../src/protocol/verify.ts'
import { authBases, boundAuthUrl } from './authUrl.ts'
import { addressKey, KeyedRateLimiter, TokenBucket, type RateLimit } from './rateLimiter.ts'

export type StreamAuthLimits = {
  /** Auth events (WS `auth` frames, job frames with `auth`, SSE requests) per connection. */
  perConnection: RateLimit
  /** The same, per client address (IPv6: per /64), over all its connections. */
  perAddress: RateLimit
  /** Replay guard: live auth ids in all, and per author. */
  maxEntries: number
  maxPerKey: number
}

export const defaultStreamAuthLimits: StreamAuthLimits = {
  perConnection: { perSecond: 5, burst: 20 },
  perAddress: { perSecond: 10, burst: 50 },
  maxEntries: 100_000,
  maxPerKey: 256,
}

export type StreamServerParameters = {
  host: string
  port: number
  /** Announced base URL (behind a proxy); auth events bind it (or, when absent, the URL the server listens on). */
  publicUrl?: string | undefined
  /** More base URLs auth events may bind: other names a proxy in front of this node answers to. */
  authUrls?: readonly string[] | undefined
  authLimits?: Partial<StreamAuthLimits> | undefined
  /** `GET /status` answers only `Authorization: Bearer <statusToken>`; without a token it is never served. */
  statusToken?: string | undefined
  pubkey: string
  executor: Executor
  payment: PaymentGate
  /** Body of `GET /status`. */
  status: () => unknown
  logger: Logger
  now?: (() => number) | undefined
  pingMs?: number | undefined
  verify?: EventVerifier | undefined
}

export type StreamServer = { url: string; close(): Promise<void> }

const maxBodyBytes = maxEventBytes[kinds.JobRequest]! + 4096
/** An oversized body is read (and dropped) up to this much more, so the 413 reaches the client before the socket closes. */
const maxDrainBytes = 4 * 1024 * 1024
const cors = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type',
  'access-control-max-age': '600',
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...cors, ...headers })
  res.end(text)
}

/**
 * The request body, or undefined once it is over `limit`. The rest of an oversized body is read and dropped (up to
 * maxDrainBytes) instead of resetting the connection: a client still sending when the socket closes would see a
 * reset, never the 413 it is owed.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let over = Number(req.headers['content-length'] ?? 0) > limit
    if (over) resolve(undefined)
    req.on('data', (c: Buffer) => {
      size += c.length
      if (over) {
        if (size > limit + maxDrainBytes) req.destroy()
        return
      }
      if (size > limit) {
        over = true
        chunks.length = 0
        resolve(undefined)
        return
      }
      chunks.push(c)
    })
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/** Whether `header` is `Bearer <token>`, compared in constant time. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(\S+)$/.exec(header ?? '')?.[1]
  if (!given) return false
  const digest = (s: string) => createHash('sha256').update(s).digest()
  return timingSafeEqual(digest(given), digest(token))
}

/** The error a refused auth event gets: a rate limit is `busy` and retryable, anything else `invalid`. */
function authRefusal(code: string, message: string): { code: 'busy' | 'invalid'; message: string; retryable: boolean } {
  return code === 'rate-limited' ? { code: 'busy', message, retryable: true } : { code: 'invalid', message, retryable: false }
}

type RateRefusal = { message: string; retryAfterS: number }
function rateLimited(ms: number, per: string): RateRefusal {
  const retryAfterS = Math.max(1, Math.ceil(ms / 1000))
  return { message: `rate-limited: too many auth events from this ${per}; retry in ${retryAfterS} s`, retryAfterS }
}

export async function startStreamServer(parameters: StreamServerParameters): Promise<StreamServer> {
  const { host, port, pubkey, executor, payment, logger, pingMs = 15_000 } = parameters
  const nowMs = parameters.now ?? Date.now
  const nowSec = () => Math.floor(nowMs() / 1000)
  const limits = { ...defaultStreamAuthLimits, ...parameters.authLimits }
  const replay = new ReplayGuard({ maxEntries: limits.maxEntries, maxPerKey: limits.maxPerKey })
  const perAddress = new KeyedRateLimiter(limits.perAddress, nowMs)
  /** SSE requests on one keep-alive socket share its connection bucket. */
  const socketTokens = new WeakMap<Socket, TokenBucket>()
  const sockets = new Set<Socket>()
  let base = ''

  /** The URL an auth event must bind (authUrl.ts): never one taken from the request's Host header. */
  const boundUrl = (transport: 'sse' | 'ws', auth: unknown): string => boundAuthUrl(authBases({ announced: parameters.publicUrl, listening: base, extra: parameters.authUrls }), transport, auth)

  /** Takes one auth event's token for this connection and address; the refusal message when either is spent. */
  const takeAuthToken = (connection: TokenBucket, req: IncomingMessage): RateRefusal | undefined => {
    const connWait = connection.take()
    if (connWait > 0) return rateLimited(connWait, 'connection')
    const addressWait = perAddress.take(addressKey(req.socket.remoteAddress))
    if (addressWait > 0) return rateLimited(addressWait, 'address')
    return undefined
  }

  const handleSse = async (req: IncomingMessage, res: ServerResponse) => {
    const receivedAt = performance.now()
    const body = await readBody(req, maxBodyBytes)
    if (body === undefined) return json(res, 413, { type: 'error', code: 'too-large', message: `job request body over ${maxBodyBytes} bytes` }, { connection: 'close' })
    const authEvent = decodeAuthHeader(req.headers.authorization)
    if ('ok' in authEvent) return json(res, 401, { type: 'error', code: 'invalid', message: authEvent.reason })
    let tokens = socketTokens.get(req.socket)
    if (!tokens) socketTokens.set(req.socket, (tokens = new TokenBucket(limits.perConnection, nowMs)))
    const limited = takeAuthToken(tokens, req)
    if (limited) return json(res, 429, { type: 'error', code: 'busy', message: limited.message, retryable: true }, { 'retry-after': String(limited.retryAfterS) })
    const url = boundUrl('sse', authEvent)
    const auth = verifyAuthEvent(authEvent, { url, method: 'POST', body }, { replay, now: nowSec(), verify: parameters.verify })
    if (!auth.ok) {
      const refusal = authRefusal(auth.code, auth.reason)
      return json(res, refusal.retryable ? 429 : 401, { type: 'error', ...refusal })
    }
    let event: NostrEvent
    try {
      event = JSON.parse(body.toString('utf8')) as NostrEvent
    } catch {
      return json(res, 400, { type: 'error', code: 'invalid', message: 'invalid: body is not a JSON event' })
    }
    if (event?.pubkey !== auth.data.pubkey) return json(res, 401, { type: 'error', code: 'invalid', message: 'invalid: auth event and job request have different authors' })
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no', ...cors })
    res.flushHeaders()
    let ended = false
    const ping = setInterval(() => res.write(': ping\n\n'), pingMs)
    const jobId = typeof event.id === 'string' ? event.id : ''
    const sink: JobSink = {
      send: (frame: NodeFrame) => {
        if (!ended) res.write(`event: ${frame.type}\ndata: ${JSON.stringify(frame)}\n\n`)
      },
      end: () => {
        if (ended) return
        ended = true
        clearInterval(ping)
        res.end()
      },
    }
    res.on('close', () => {
      clearInterval(ping)
      if (!ended) {
        ended = true
        executor.detach(jobId, sink)
      }
    })
    await executor.submit(event, { via: 'direct', sink, receivedAt, author: auth.data.pubkey })
    // The client may have gone while the job was being checked: then nobody listens to it.
    if (ended) executor.detach(jobId, sink)
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    const route = `${req.method} ${path}`
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors)
      return void res.end()
    }
    if (route === `GET ${streamPaths.health}`) return json(res, 200, { ok: true, pubkey })
    if (route === 'GET /status') {
      // Not by address: behind a proxy on the same host every caller arrives from loopback.
      if (!parameters.statusToken || !bearerMatches(req.headers.authorization, parameters.statusToken)) {
        return json(res, 401, { error: 'GET /status needs "Authorization: Bearer <status token>": `infernet status` reads it from the pid file; other monitors use INFERNET_STATUS_TOKEN' })
      }
      return json(res, 200, parameters.status())
    }
    if (route === `POST ${streamPaths.sse}`) {
      return void handleSse(req, res).catch((err: Error) => {
        logger.warn('sse request failed', { error: err.message })
        if (!res.headersSent) json(res, 500, { type: 'error', code: 'internal', message: 'internal error' })
        else res.end()
      })
    }
    json(res, 404, { error: `no route ${route}` })
  })

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxBodyBytes + 8192 })
  server.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').split('?')[0] !== streamPaths.ws) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, req))
  })

  const onConnection = (ws: WebSocket, req: IncomingMessage) => {
    const sinks = new Map<string, JobSink>()
    /** Authors of jobs on this connection: they may cancel. */
    const clients = new Set<string>()
    /** Pubkeys this connection authenticated as (auth frames): their jobs need no auth event of their own. */
    const authenticated = new Set<string>()
    const authTokens = new TokenBucket(limits.perConnection, nowMs)
    const send = (frame: NodeFrame) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame))
    }
    ws.on('message', (data, isBinary) => {
      const receivedAt = performance.now()
      let raw: unknown
      try {
        raw = JSON.parse(isBinary ? Buffer.from(data as Buffer).toString('utf8') : String(data))
      } catch {
        return send({ type: 'error', code: 'invalid', message: 'invalid: frame is not JSON' })
      }
      const parsed = clientFrame.safeParse(raw)
      if (!parsed.success) {
        const job = (raw as { event?: { id?: unknown } })?.event?.id
        return send({ type: 'error', ...(typeof job === 'string' && /^[0-9a-f]{64}$/.test(job) ? { job } : {}), code: 'invalid', message: 'invalid: unknown or malformed frame' })
      }
      const frame = parsed.data
      if (frame.type === 'auth') {
        const limited = takeAuthToken(authTokens, req)
        if (limited) return send({ type: 'error', code: 'busy', message: `${limited.message} (connection auth refused)`, retryable: true })
        const url = boundUrl('ws', frame.event)
        const auth = verifyAuthEvent(frame.event, { url, method: 'WS', connection: true }, { replay, now: nowSec(), verify: parameters.verify })
        if (!auth.ok) return send({ type: 'error', ...authRefusal(auth.code, `${auth.reason} (connection auth refused)`) })
        authenticated.add(auth.data.pubkey)
        clients.add(auth.data.pubkey)
        return send({ type: 'authenticated', pubkey: auth.data.pubkey })
      }
      if (frame.type === 'job') {
        const { event } = frame
        if (frame.auth) {
          const limited = takeAuthToken(authTokens, req)
          if (limited) return send({ type: 'error', job: event.id, code: 'busy', message: limited.message, retryable: true })
          const url = boundUrl('ws', frame.auth)
          const auth = verifyAuthEvent(frame.auth, { url, method: 'WS', payloadHash: event.id }, { replay, now: nowSec(), verify: parameters.verify })
          if (!auth.ok) return send({ type: 'error', job: event.id, ...authRefusal(auth.code, auth.reason) })
          if (auth.data.pubkey !== event.pubkey) return send({ type: 'error', job: event.id, code: 'invalid', message: 'invalid: auth event and job request have different authors' })
        } else if (!authenticated.has(event.pubkey)) {
          return send({ type: 'error', job: event.id, code: 'invalid', message: 'invalid: job frame has no auth event and the connection is not authenticated as its author' })
        }
        if (sinks.has(event.id)) return send({ type: 'error', job: event.id, code: 'duplicate', message: 'job already submitted on this connection' })
        clients.add(event.pubkey)
        const sink: JobSink = { send, end: () => void sinks.delete(event.id) }
        sinks.set(event.id, sink)
        // Either the job's auth event or the connection's proved who sent it.
        void executor.submit(event, { via: 'direct', sink, receivedAt, author: event.pubkey }).then(
          () => {
            // The connection may have closed while the job was being checked: then nobody listens to it.
            if (ws.readyState !== ws.OPEN) executor.detach(event.id, sink)
          },
          (err: Error) => {
            logger.error('submit failed', { error: err.message })
            send({ type: 'error', job: event.id, code: 'internal', message: 'internal error' })
          },
        )
        return
      }
      if (frame.type === 'cancel') {
        for (const client of clients) if (executor.cancel(frame.job, client)) return
        return
      }
      const job = getTagValue(frame.event, 'e')
      const named = { ...(job && /^[0-9a-f]{64}$/.test(job) ? { job } : {}), ...(/^[0-9a-f]{64}$/.test(frame.event.id) ? { receipt: frame.event.id } : {}) }
      void payment.acceptReceipt(frame.event as NostrEvent).then(
        (r) => send({ type: 'receipt-ack', ...named, accepted: r.ok, ...(r.ok ? {} : { reason: r.reason }) }),
        (err: Error) => send({ type: 'receipt-ack', ...named, accepted: false, reason: `error: ${err.message}` }),
      )
    })
    ws.on('close', () => {
      for (const [job, sink] of sinks) executor.detach(job, sink)
      sinks.clear()
    })
    ws.on('error', () => ws.terminate())
  }

  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const addr = server.address() as AddressInfo
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address === '0.0.0.0' ? '127.0.0.1' : addr.address
  base = `http://${shownHost}:${addr.port}`
  return {
    url: base,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate()
        wss.close()
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
