// The send path of one WebSocket connection, shaped for fan-out. A profile of the relay fanning out to 1,000
// sockets spent ~80% of its busy time in the writev syscall (one per message, each also running the receiver's
// loopback TCP path), and little in JavaScript; so the two savings here are about writes:
// - Coalescing: the first message a socket gets in an event-loop turn is written at once (a lone delivery waits for
//   nothing), and from the second on the socket is corked until the turn's synchronous work and microtasks are
//   done, so a burst fanned out in one turn leaves each socket in one writev instead of one per message. A corked
//   socket is flushed early once FLUSH_BYTES wait, so coalescing never holds much back from the kernel and the
//   slow-consumer limit (ws.bufferedAmount) still measures what the client has not read, not what a turn produced.
// - Pre-framing: a Buffer payload (fan-out sends one Buffer to every subscriber with the same subscription id) is
//   framed once, header and payload in one Buffer, and written to the socket as is, instead of ws framing it again
//   for every socket. Writing under ws is safe here because its sender never holds frames back when
//   permessage-deflate is off and no Blob is sent (server.ts disables the first, the relay never sends the second),
//   so ws's own frames (pings, close) and ours go to the socket in call order; ws.bufferedAmount counts both.
import type { Socket } from 'node:net'
import { WebSocket } from 'ws'

const FLUSH_BYTES = 64 * 1024
let turn = 0
let turnEnding = false
const corked: Socket[] = []
const endTurn = () => {
  turn++
  turnEnding = false
  for (const socket of corked) socket.uncork()
  corked.length = 0
}

const frames = new WeakMap<Buffer, Buffer>()
/** One unmasked, final text frame (RFC 6455 5.2) holding `payload`. */
function textFrame(payload: Buffer): Buffer {
  let frame = frames.get(payload)
  if (frame) return frame
  const n = payload.length
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10
  frame = Buffer.allocUnsafe(head + n)
  frame[0] = 0x81
  if (n < 126) frame[1] = n
  else if (n < 65536) {
    frame[1] = 126
    frame.writeUInt16BE(n, 2)
  } else {
    frame[1] = 127
    frame.writeUInt32BE(Math.floor(n / 2 ** 32), 2)
    frame.writeUInt32BE(n >>> 0, 6)
  }
  payload.copy(frame, head)
  frames.set(payload, frame)
  return frame
}

/** `ws` must come from a server without permessage-deflate. A Buffer is sent as the UTF-8 bytes of a text message. */
export function createSocketSender(ws: WebSocket): (data: string | Buffer) => void {
  const socket = (ws as unknown as { _socket: Socket })._socket
  let lastTurn = -1
  return (data) => {
    if (lastTurn !== turn) {
      lastTurn = turn
      if (!turnEnding) {
        turnEnding = true
        process.nextTick(endTurn)
      }
    } else if (socket.writableCorked === 0) {
      socket.cork()
      corked.push(socket)
    }
    // ws.send handles the other states itself (it drops what is sent after close).
    if (typeof data !== 'string' && ws.readyState === WebSocket.OPEN) socket.write(textFrame(data))
    else ws.send(data, { binary: false })
    // Uncorking a socket that is not corked does nothing, so the entry left in `corked` is harmless.
    if (socket.writableCorked > 0 && socket.writableLength >= FLUSH_BYTES) socket.uncork()
  }
}
