// A message that did not parse: answered where the client waits for it (OK for an EVENT with an id, CLOSED for a
// REQ/COUNT with a subscription id), otherwise with a NOTICE.
import type { RelayConnection } from '../connection.ts'
import type { RelayContext } from '../context.ts'
import { closedMessage, noticeMessage, okMessage, type ClientMessage } from '../messages.ts'
import { countReject } from '../metrics.ts'

export function handleInvalid(ctx: RelayContext, conn: RelayConnection, msg: Extract<ClientMessage, { type: 'invalid' }>): void {
  countReject(ctx.metrics, msg.reason)
  if (msg.verb === 'EVENT' && msg.eventId) ctx.connections.send(conn, okMessage(msg.eventId, false, msg.reason))
  else if ((msg.verb === 'REQ' || msg.verb === 'COUNT') && msg.subId) ctx.connections.send(conn, closedMessage(msg.subId, msg.reason))
  else ctx.connections.send(conn, noticeMessage(msg.reason))
}
