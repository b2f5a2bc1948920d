// The floor of the fan-out benchmark: not a relay, a `ws` server that answers REQ with EOSE and forwards every EVENT
// verbatim to every socket that sent a REQ, with no parsing beyond the verb, no verification and no storage, through
// the relay's own send path (relay/socketSender.ts: one frame per event, coalesced writes in a burst). What it
// measures is the load generator, the loopback sockets and one socket write per delivery: the part of the latency
// and throughput no relay with one process can remove.
// Usage: node --import tsx bench/relay/floorRelayProcess.ts   (prints one JSON ready line; SIGTERM stops it)
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { createSocketSender } from '../../relay/socketSender.ts'

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
const subscribers = new Map<WebSocket, (data: string | Buffer) => void>()
wss.on('connection', (ws) => {
  const send = createSocketSender(ws)
  ws.on('message', (data) => {
    const text = data.toString()
    if (text.startsWith('["REQ"')) {
      subscribers.set(ws, send)
      send('["EOSE","fan"]')
    } else if (text.startsWith('["EVENT"')) {
      const event = text.slice(text.indexOf(',') + 1, -1)
      const out = Buffer.from(`["EVENT","fan",${event}]`)
      for (const deliver of subscribers.values()) deliver(out)
    }
  })
  ws.on('close', () => subscribers.delete(ws))
})
wss.on('listening', () => {
  const { port } = wss.address() as AddressInfo
  process.stdout.write(JSON.stringify({ ready: true, url: `ws://127.0.0.1:${port}`, pid: process.pid }) + '\n')
})
process.on('SIGTERM', () => wss.close(() => process.exit(0)))
