// The node's direct channel (nips/stream.md) on node:http + ws:
//   POST /v1/jobs   SSE: body = job event JSON, `Authorization: Nostr <base64 kind-27235>` binding URL, POST and
//                   sha256(body); answers text/event-stream frames (`event: <type>` / `data: <json>`), `: ping`
//                   every 15 s; closing the request cancels the job.
//   GET  /v1/ws     WebSocket, multiplexed: `{type:'auth', event}` (authenticates the connection once: ws URL,
//                   method WS, no payload), `{type:'job', event, auth?}` (a per-job auth binds the ws URL, method
//                   WS and payload = job event id; it may be left out for the connection's own author),
//                   `{type:'cancel', job}`, `{type:'receipt', event}`.
//   GET  /healthz   `{ ok, pubkey }`;  GET /status  daemon stats, loopback callers only.
// One ReplayGuard covers both transports, so an auth event works exactly once.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Logger } from '../../src/log.ts'
import { decodeAuthHeader, ReplayGuard, verifyAuthEvent } from '../../src/protocol/auth.ts'
import { getTagValue, type NostrEvent } from '../../src/protocol/event.ts'
import { clientFrame, streamPaths, wsUrl, sseUrl, type NodeFrame } from '../../src/protocol/frames.ts'
import * as kinds from '../../src/protocol/kinds.ts'
import { maxEventBytes } from '../../src/protocol/limits.ts'
import type { Executor, JobSink } from '../jobs/executor.ts'
import type { PaymentGate } from '../paymentGate.ts'
import type { EventVerifier } from '../../src/protocol/verify.ts'

export type StreamServerParameters = {
  host: string
  port: number
  /** Announced base URL (behind a proxy); auth events may bind it or the URL the request was sent to. */
  publicUrl?: string | undefined
  pubkey: string
  executor: Executor
  payment: PaymentGate
  /** Body of `GET /status` (loopback only). */
  status: () => unknown
  logger: Logger
  now?: (() => number) | undefined
  pingMs?: number | undefined
  verify?: EventVerifier | undefined
}

export type StreamServer = { url: string; close(): Promise<void> }

const maxBodyBytes = maxEventBytes[kinds.JobRequest]! + 4096
const loopback = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1'])
const cors = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type',
  'access-control-max-age': '600',
}

function json(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...cors })
  res.end(text)
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > limit) {
        resolve(undefined)
        req.destroy()
        return
      }
      chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

export async function startStreamServer(parameters: StreamServerParameters): Promise<StreamServer> {
  const { host, port, pubkey, executor, payment, logger, pingMs = 15_000 } = parameters
  const nowSec = () => Math.floor((parameters.now ?? Date.now)() / 1000)
  const replay = new ReplayGuard()
  const sockets = new Set<Socket>()
  let base = ''

  /** URLs an auth event may bind for this request: the announced one and the one the client dialled. */
  const boundUrl = (req: IncomingMessage, kind: 'sse' | 'ws', auth: unknown): string | undefined => {
    const u = typeof auth === 'object' && auth !== null && Array.isArray((auth as NostrEvent).tags) ? getTagValue(auth as NostrEvent, 'u') : undefined
    const dialled = req.headers.host ? `http://${req.headers.host}` : base
    const candidates = [parameters.publicUrl || base, dialled].map((b) => (kind === 'ws' ? wsUrl(b) : sseUrl(b)))
    return candidates.find((c) => c === u) ?? candidates[0]
  }

  const handleSse = async (req: IncomingMessage, res: ServerResponse) => {
    const receivedAt = performance.now()
    const body = await readBody(req, maxBodyBytes)
    if (body === undefined) return json(res, 413, { type: 'error', code: 'too-large', message: `job request body over ${maxBodyBytes} bytes` })
    const authEvent = decodeAuthHeader(req.headers.authorization)
    if ('ok' in authEvent) return json(res, 401, { type: 'error', code: 'invalid', message: authEvent.reason })
    const url = boundUrl(req, 'sse', authEvent)!
    const auth = verifyAuthEvent(authEvent, { url, method: 'POST', body }, { replay, now: nowSec(), verify: parameters.verify })
    if (!auth.ok) return json(res, 401, { type: 'error', code: 'invalid', message: auth.reason })
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
      if (!loopback.has(req.socket.remoteAddress ?? '')) return json(res, 403, { error: 'status is only served to loopback callers' })
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
        const url = boundUrl(req, 'ws', frame.event)!
        const auth = verifyAuthEvent(frame.event, { url, method: 'WS', connection: true }, { replay, now: nowSec(), verify: parameters.verify })
        if (!auth.ok) return send({ type: 'error', code: 'invalid', message: `${auth.reason} (connection auth refused)` })
        authenticated.add(auth.data.pubkey)
        clients.add(auth.data.pubkey)
        return send({ type: 'authenticated', pubkey: auth.data.pubkey })
      }
      if (frame.type === 'job') {
        const { event } = frame
        if (frame.auth) {
          const url = boundUrl(req, 'ws', frame.auth)!
          const auth = verifyAuthEvent(frame.auth, { url, method: 'WS', payloadHash: event.id }, { replay, now: nowSec(), verify: parameters.verify })
          if (!auth.ok) return send({ type: 'error', job: event.id, code: 'invalid', message: auth.reason })
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
      void payment.acceptReceipt(frame.event as NostrEvent).then(
        (r) => send({ type: 'receipt-ack', ...(job && /^[0-9a-f]{64}$/.test(job) ? { job } : {}), accepted: r.ok, ...(r.ok ? {} : { reason: r.reason }) }),
        (err: Error) => send({ type: 'receipt-ack', accepted: false, reason: `error: ${err.message}` }),
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
