// AUTH (NIP-42): a kind-22242 event signed over this connection's challenge and naming this relay authenticates
// its pubkey for the rest of the connection.
import { eventHashNode } from '../../src/crypto/eventHashNode.ts'
import { checkShape, type NostrEvent } from '../../src/protocol/event.ts'
import { ClientAuth } from '../../src/protocol/kinds.ts'
import type { RelayConnection } from '../connection.ts'
import type { RelayContext } from '../context.ts'
import { noticeMessage, okMessage } from '../messages.ts'
import { countReject } from '../metrics.ts'

/** NIP-42 leaves "roughly" to the relay: ten minutes either way. */
const maxClockSkewSeconds = 600

function relayHostMatches(ctx: RelayContext, conn: RelayConnection, tagValue: string): boolean {
  let url: URL
  try {
    url = new URL(tagValue)
  } catch {
    return false
  }
  if (ctx.config.relayUrl) {
    try {
      return new URL(ctx.config.relayUrl).host === url.host
    } catch {
      return false
    }
  }
  return conn.transport.host === undefined || conn.transport.host === url.host
}

export async function handleAuth(ctx: RelayContext, conn: RelayConnection, input: unknown): Promise<void> {
  const { connections } = ctx
  const shape = checkShape(input)
  const rawId = typeof input === 'object' && input !== null ? (input as { id?: unknown }).id : undefined
  if (shape) {
    if (typeof rawId === 'string') connections.send(conn, okMessage(rawId, false, shape.reason))
    else connections.send(conn, noticeMessage(shape.reason))
    return
  }
  const event = input as NostrEvent
  const fail = (reason: string) => {
    countReject(ctx.metrics, reason)
    connections.send(conn, okMessage(event.id, false, reason))
  }
  if (event.kind !== ClientAuth) return fail(`invalid: AUTH event must be kind ${ClientAuth}`)
  if (Math.abs(event.created_at - ctx.now()) > maxClockSkewSeconds) return fail('invalid: AUTH event created_at is more than 10 minutes off')
  const challenge = event.tags.find((t) => t[0] === 'challenge')?.[1]
  if (challenge !== conn.challenge) return fail('invalid: AUTH challenge does not match')
  const relayTag = event.tags.find((t) => t[0] === 'relay')?.[1]
  if (relayTag === undefined || !relayHostMatches(ctx, conn, relayTag)) return fail('invalid: AUTH relay tag does not name this relay')
  if (eventHashNode(event) !== event.id || !(await ctx.verify(event))) return fail('invalid: AUTH event id or signature does not verify')
  conn.authed.add(event.pubkey)
  ctx.logger.debug(`[conn ${conn.id}] authenticated`, { pubkey: event.pubkey })
  connections.send(conn, okMessage(event.id, true, ''))
}
