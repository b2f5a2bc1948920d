// A third-party NIP-01 relay for side-by-side tests and benchmarks: @nostr-relay/core (NostrRelay) over
// @nostr-relay/event-repository-sqlite, fed by a `ws` WebSocketServer through @nostr-relay/validator, wired the
// way the package README shows (handleConnection, validateIncomingMessage + handleMessage, NOTICE on a
// validation error, handleDisconnect). It listens on 127.0.0.1, port 0 by default.
//
// Two options differ from the package defaults, on purpose, and both are options the package documents:
// - filterResultCacheTtl: 0. By default the relay answers a REQ whose filter it saw in the last second from a
//   cache, which returns stale results (a replaced event, a deleted one) in tests that query, write, query again.
// - eventHandlingResultCacheTtl: 0. By default it remembers the OK result of each event id for 10 minutes.
//   Neither cache changes what the relay stores; both only hide writes for a while.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { NostrRelay } from '@nostr-relay/core'
import { EventRepositorySqlite } from '@nostr-relay/event-repository-sqlite'
import { Validator } from '@nostr-relay/validator'
import { WebSocketServer } from 'ws'

export type StartThirdPartyRelayParameters = {
  /** SQLite file; in-memory when omitted. */
  dbPath?: string | undefined
  host?: string | undefined
  port?: number | undefined
  /** Largest WebSocket message accepted (bytes); `ws` closes the socket (1009) above it. */
  maxPayload?: number | undefined
}

export type ThirdPartyRelay = {
  url: string
  /** The underlying repository, for seeding benchmarks without going through the socket. */
  repository: EventRepositorySqlite
  close(): Promise<void>
}

export async function startThirdPartyRelay(parameters: StartThirdPartyRelayParameters = {}): Promise<ThirdPartyRelay> {
  const { dbPath = ':memory:', host = '127.0.0.1', port = 0, maxPayload = 1024 * 1024 } = parameters
  const repository = new EventRepositorySqlite(dbPath)
  await repository.init()
  const relay = new NostrRelay(repository, {
    filterResultCacheTtl: 0,
    eventHandlingResultCacheTtl: 0,
    // Its logger writes to stdout by default; keep test and bench output clean.
    logger: { setLogLevel() {}, debug() {}, info() {}, warn() {}, error() {} },
  })
  const validator = new Validator()
  const server = createServer((_req, res) => {
    res.writeHead(404).end()
  })
  const wss = new WebSocketServer({ server, maxPayload })
  wss.on('connection', (ws) => {
    relay.handleConnection(ws)
    ws.on('message', async (data) => {
      try {
        const message = await validator.validateIncomingMessage(data)
        await relay.handleMessage(ws, message)
      } catch (error) {
        if (error instanceof Error && ws.readyState === ws.OPEN) ws.send(JSON.stringify(['NOTICE', error.message]))
      }
    })
    ws.on('close', () => relay.handleDisconnect(ws))
    ws.on('error', () => {})
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  const address = server.address() as AddressInfo
  let closed = false
  return {
    url: `ws://${host}:${address.port}`,
    repository,
    async close() {
      if (closed) return
      closed = true
      for (const client of wss.clients) client.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await relay.destroy()
      await repository.destroy()
    },
  }
}
