// CLOSE: forget the subscription; an unknown id is not an error (NIP-01 sends nothing back).
import type { RelayConnection } from '../connection.ts'
import type { RelayContext } from '../context.ts'

export function handleClose(ctx: RelayContext, conn: RelayConnection, subId: string): void {
  const sub = conn.subs.get(subId)
  if (!sub) return
  ctx.subscriptions.remove(sub)
  conn.subs.delete(subId)
}
