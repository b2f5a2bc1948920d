// The floor of the fan-out benchmark: not a relay, a `ws` server that answers REQ with EOSE and forwards every EVENT
// verbatim to every socket that sent a REQ, with no parsing beyond the verb, no verification and no storage. What it
// measures is the load generator plus the loopback sockets, the part of the latency no relay can remove.
// Usage: node --import tsx bench/relay/floorRelayProcess.ts   (prints one JSON ready line; SIGTERM stops it)
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
const subscribers = new Set<WebSocket>()
wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    const text = data.toString()
    if (text.startsWith('["REQ"')) {
      subscribers.add(ws)
      ws.send('["EOSE","fan"]')
    } else if (text.startsWith('["EVENT"')) {
      const event = text.slice(text.indexOf(',') + 1, -1)
      const out = `["EVENT","fan",${event}]`
      for (const s of subscribers) s.send(out)
    }
  })
  ws.on('close', () => subscribers.delete(ws))
})
wss.on('listening', () => {
  const { port } = wss.address() as AddressInfo
  process.stdout.write(JSON.stringify({ ready: true, url: `ws://127.0.0.1:${port}`, pid: process.pid }) + '\n')
})
process.on('SIGTERM', () => wss.close(() => process.exit(0)))
