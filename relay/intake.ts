// Intake of client messages: the size limit, parsing, per-connection backpressure and ordering, then dispatch to
// one handler per message type (relay/handlers/).
import type { RelayConnection } from './connection.ts'
import type { RelayContext } from './context.ts'
import { handleAuth } from './handlers/auth.ts'
import { handleClose } from './handlers/close.ts'
import { handleCount } from './handlers/count.ts'
import { handleEvent } from './handlers/event.ts'
import { handleInvalid } from './handlers/invalid.ts'
import { handleReq } from './handlers/req.ts'
import { noticeMessage, okMessage, parseClientMessage, type ClientMessage } from './messages.ts'
import { countReject } from './metrics.ts'
import { findEventId } from './rawEventId.ts'

function dispatch(ctx: RelayContext, conn: RelayConnection, msg: ClientMessage, size: number): Promise<void> | void {
  switch (msg.type) {
    case 'event':
      return handleEvent(ctx, conn, msg.event, size)
    case 'req':
      return handleReq(ctx, conn, msg.subId, msg.filters)
    case 'count':
      return handleCount(ctx, conn, msg.subId, msg.filters)
    case 'close':
      return handleClose(ctx, conn, msg.subId)
    case 'auth':
      return handleAuth(ctx, conn, msg.event)
    case 'invalid':
      return handleInvalid(ctx, conn, msg)
  }
}

function internalError(ctx: RelayContext, conn: RelayConnection, err: unknown) {
  ctx.logger.error(`[conn ${conn.id}] internal error`, { error: (err as Error).message })
  ctx.connections.send(conn, noticeMessage('error: internal error while handling the message'))
}

function settle(ctx: RelayContext, conn: RelayConnection) {
  conn.backlog--
  if (conn.paused && conn.backlog <= ctx.config.maxPendingPerConnection / 2) {
    conn.paused = false
    conn.transport.resume?.()
  }
}

export async function handleMessage(ctx: RelayContext, conn: RelayConnection, text: string): Promise<void> {
  const { config } = ctx
  if (conn.closed) return
  const size = Buffer.byteLength(text)
  try {
    if (size > config.maxMessageBytes) {
      const reason = `invalid: message is ${size} bytes, limit is ${config.maxMessageBytes}`
      countReject(ctx.metrics, reason)
      // Not parsed (that is the point of the limit): the id for the OK is read from the raw frame, wherever it sits.
      const id = findEventId(text)
      ctx.connections.send(conn, id ? okMessage(id, false, reason) : noticeMessage(reason))
      return
    }
    const msg = parseClientMessage(text, { maxFilters: config.maxFilters, maxSubIdLength: config.maxSubIdLength })
    conn.backlog++
    if (conn.backlog >= config.maxPendingPerConnection && !conn.paused && conn.transport.pause) {
      conn.paused = true
      conn.transport.pause()
    }
    // EVENTs are checked concurrently (signatures in the pool); any other message waits for the EVENTs and
    // messages before it, so a REQ sees the writes its connection sent first and AUTH applies to what follows.
    if (msg.type === 'event') {
      const p: Promise<void> = conn.chain
        .then(() => dispatch(ctx, conn, msg, size))
        .catch((err: unknown) => internalError(ctx, conn, err))
        .finally(() => settle(ctx, conn))
      conn.pendingEvents.add(p)
      void p.finally(() => conn.pendingEvents.delete(p))
      await p
    } else {
      const before = [...conn.pendingEvents]
      conn.chain = conn.chain
        .then(() => Promise.all(before))
        .then(() => dispatch(ctx, conn, msg, size))
        .catch((err: unknown) => internalError(ctx, conn, err))
        .finally(() => settle(ctx, conn))
      await conn.chain
    }
  } catch (err) {
    internalError(ctx, conn, err)
  }
}
