// The fan-out send path writes its own WebSocket frames and corks sockets within a turn: a standard client must
// still read every message, in order, with each payload length encoding, and nothing may stay corked.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { AddressInfo, Socket } from 'node:net'
import WebSocket, { WebSocketServer } from 'ws'
import { createSocketSender } from '../../../relay/socketSender.ts'

async function pair() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
  const serverSide = new Promise<WebSocket>((resolve) => wss.once('connection', resolve))
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`)
  const received: string[] = []
  client.on('message', (data, isBinary) => {
    assert.equal(isBinary, false)
    received.push(data.toString())
  })
  await new Promise<void>((resolve, reject) => {
    client.once('open', () => resolve())
    client.once('error', reject)
  })
  const ws = await serverSide
  return { ws, client, received, close: () => new Promise<void>((resolve) => (client.terminate(), wss.close(() => resolve()))) }
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10))
}

describe('socket sender', () => {
  it('delivers strings and pre-framed Buffers of every length class in order, within a turn and across turns', async () => {
    const { ws, received, close } = await pair()
    const send = createSocketSender(ws)
    const shared = Buffer.from('["EVENT","s",{"shared":true}]')
    const expected = ['first', 'x'.repeat(10), 'y'.repeat(125), 'z'.repeat(126), 'w'.repeat(65_535), 'v'.repeat(65_536), 'é'.repeat(40_000)]
    send(expected[0]!)
    for (const text of expected.slice(1)) send(Buffer.from(text))
    send(shared)
    send(shared)
    send('last of the turn')
    const socket = (ws as unknown as { _socket: Socket })._socket
    assert.ok(socket.writableCorked > 0, 'the second message of a turn corks the socket')
    await new Promise((r) => setImmediate(r))
    assert.equal(socket.writableCorked, 0)
    send(shared)
    const all = [...expected, shared.toString(), shared.toString(), 'last of the turn', shared.toString()]
    await until(() => received.length >= all.length)
    assert.deepEqual(received, all)
    await close()
  })

  it('sends nothing after the connection started closing', async () => {
    const { ws, client, received, close } = await pair()
    const send = createSocketSender(ws)
    const closed = new Promise<number>((resolve) => client.once('close', (code) => resolve(code)))
    send(Buffer.from('before'))
    ws.close(1000, 'bye')
    send(Buffer.from('after'))
    assert.equal(await closed, 1000)
    assert.deepEqual(received, ['before'])
    await close()
  })
})
