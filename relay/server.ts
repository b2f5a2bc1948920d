// node:http + ws (noServer upgrade) around the relay core. The same port serves the WebSocket relay, the NIP-11
// document (GET / with Accept: application/nostr+json) and Prometheus metrics (GET /metrics).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { silentLogger, type Logger } from '../src/log.ts'
import { clientAddress } from './clientAddress.ts'
import type { Relay } from './relay.ts'
import { createSocketSender } from './socketSender.ts'

export type RelayServer = {
  /** ws://host:port */
  url: string
  port: number
  server: Server
  /** Stops accepting, finishes pending writes, closes sockets with 1001 and the store. */
  close(): Promise<void>
}

export type StartRelayServerParameters = {
  relay: Relay
  host?: string | undefined
  port?: number | undefined
  logger?: Logger | undefined
}

const cors = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': '*',
  'access-control-allow-methods': 'GET, OPTIONS',
}

function handleHttp(relay: Relay, req: IncomingMessage, res: ServerResponse) {
  const path = (req.url ?? '/').split('?')[0]
  if (req.method === 'OPTIONS') {
    res.writeHead(204, cors).end()
    return
  }
  if (req.method === 'GET' && path === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(relay.renderMetrics())
    return
  }
  if (req.method === 'GET' && path === '/') {
    if ((req.headers.accept ?? '').includes('application/nostr+json')) {
      res.writeHead(200, { ...cors, 'content-type': 'application/nostr+json' }).end(JSON.stringify(relay.info()))
      return
    }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('Infernet relay. Connect with a Nostr client over WebSocket.\n')
    return
  }
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n')
}

export async function startRelayServer({ relay, host = '127.0.0.1', port = 0, logger = silentLogger }: StartRelayServerParameters): Promise<RelayServer> {
  const sockets = new Set<WebSocket>()
  // Oversized messages up to twice the limit are read and answered with a reason; beyond that ws drops the socket.
  // No permessage-deflate: it costs CPU per delivery, and socketSender.ts relies on its absence.
  const wss = new WebSocketServer({ noServer: true, maxPayload: relay.config.maxMessageBytes * 2 + 1024, perMessageDeflate: false })
  const server = createServer((req, res) => {
    try {
      handleHttp(relay, req, res)
    } catch (err) {
      logger.error('http handler failed', { error: (err as Error).message })
      if (!res.headersSent) res.writeHead(500).end()
    }
  })
  let stopping = false
  const trustedProxies = new Set(relay.config.trustedProxies)

  server.on('upgrade', (req, socket, head) => {
    if (stopping) {
      socket.destroy()
      return
    }
    socket.on('error', () => socket.destroy())
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws)
      const conn = relay.openConnection({
        ip: clientAddress({ remoteAddress: req.socket.remoteAddress, forwardedFor: req.headers['x-forwarded-for'], trustedProxies }),
        host: req.headers.host,
        send: createSocketSender(ws),
        bufferedAmount: () => ws.bufferedAmount,
        pause: () => ws.pause(),
        resume: () => ws.resume(),
        close: (code, reason) => {
          ws.close(code, reason)
          // A client that never reads may never complete the closing handshake.
          setTimeout(() => ws.terminate(), 2000).unref()
        },
      })
      ws.on('error', (err) => logger.debug('socket error', { error: err.message }))
      ws.on('close', () => {
        sockets.delete(ws)
        if (conn) relay.closeConnection(conn)
      })
      if (!conn) return
      ws.on('message', (data, isBinary) => {
        const text = isBinary ? '' : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString('utf8')
        void relay.handleMessage(conn, text)
      })
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `ws://${urlHost}:${address.port}`

  return {
    url,
    port: address.port,
    server,
    async close() {
      if (stopping) return
      stopping = true
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      await relay.close()
      // Give clients a moment to complete the 1001 closing handshake, then drop whoever has not.
      const deadline = Date.now() + 1000
      while (sockets.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
      for (const ws of sockets) ws.terminate()
      server.closeAllConnections()
      wss.close()
      await closed
    },
  }
}
