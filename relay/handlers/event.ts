// EVENT: shape and id, NIP-42 exclusion, rejectEvent hooks, signature (last: it is the costly check), then either
// fan-out alone (ephemeral) or the storeEvent hooks, the OK, and the onEventSaved hooks.
import { eventHashNode } from '../../src/crypto/eventHashNode.ts'
import { checkShape, type NostrEvent } from '../../src/protocol/event.ts'
import { ClientAuth, kindClass } from '../../src/protocol/kinds.ts'
import type { RelayConnection } from '../connection.ts'
import type { RelayContext } from '../context.ts'
import { fanOut } from '../fanOut.ts'
import { decide } from '../hooks.ts'
import { noticeMessage, okMessage, serializeEvent } from '../messages.ts'
import { countReject } from '../metrics.ts'
import type { WriteOutcome } from '../store/types.ts'

type EventVerdict = { type: 'reject'; id: string | undefined; reason: string } | { type: 'shadow'; id: string } | { type: 'accept'; event: NostrEvent }

async function checkEvent(ctx: RelayContext, conn: RelayConnection, input: unknown, size: number): Promise<EventVerdict> {
  const rawId = typeof input === 'object' && input !== null ? (input as { id?: unknown }).id : undefined
  const id = typeof rawId === 'string' && /^[0-9a-f]{64}$/.test(rawId) ? rawId : undefined
  const shape = checkShape(input)
  if (shape) return { type: 'reject', id, reason: shape.reason }
  const event = input as NostrEvent
  if (eventHashNode(event) !== event.id) return { type: 'reject', id: event.id, reason: 'invalid: event id does not match the hash of its content' }
  // NIP-42: AUTH events are never published, stored or broadcast.
  if (event.kind === ClientAuth) return { type: 'reject', id: event.id, reason: `invalid: kind ${ClientAuth} events are only accepted in AUTH messages` }
  const decision = decide(ctx.hooks.rejectEvent, event, { conn, now: ctx.now(), size })
  if (decision?.action === 'reject') return { type: 'reject', id: event.id, reason: decision.reason }
  if (!(await ctx.verify(event))) return { type: 'reject', id: event.id, reason: 'invalid: signature does not verify' }
  return decision ? { type: 'shadow', id: event.id } : { type: 'accept', event }
}

async function storeEvent(ctx: RelayContext, event: NostrEvent, json: string): Promise<WriteOutcome> {
  const write = { event, json }
  const [first, ...rest] = ctx.hooks.storeEvent
  const outcome = first ? await first(write) : ({ status: 'saved' } as WriteOutcome)
  for (const hook of rest) await hook(write)
  return outcome
}

export async function handleEvent(ctx: RelayContext, conn: RelayConnection, input: unknown, size: number): Promise<void> {
  const { metrics, connections } = ctx
  metrics.eventsReceived++
  const verdict = await checkEvent(ctx, conn, input, size)
  if (conn.closed) return
  if (verdict.type === 'reject') {
    countReject(metrics, verdict.reason)
    if (verdict.id) connections.send(conn, okMessage(verdict.id, false, verdict.reason))
    else connections.send(conn, noticeMessage(verdict.reason))
    return
  }
  if (verdict.type === 'shadow') {
    countReject(metrics, 'shadow:')
    connections.send(conn, okMessage(verdict.id, true, ''))
    return
  }
  const event = verdict.event
  const json = serializeEvent(event)
  if (kindClass(event.kind) === 'ephemeral') {
    metrics.eventsEphemeral++
    connections.send(conn, okMessage(event.id, true, ''))
    fanOut(ctx, event, json)
    return
  }
  let outcome: WriteOutcome
  const pending = storeEvent(ctx, event, json)
  ctx.pendingWrites.add(pending)
  try {
    outcome = await pending
  } catch (err) {
    ctx.logger.error(`[conn ${conn.id}] write failed`, { id: event.id, error: (err as Error).message })
    countReject(metrics, 'error:')
    connections.send(conn, okMessage(event.id, false, 'error: could not store the event'))
    return
  } finally {
    ctx.pendingWrites.delete(pending)
  }
  if (outcome.status === 'saved') {
    metrics.eventsSaved++
    connections.send(conn, okMessage(event.id, true, ''))
    for (const hook of ctx.hooks.onEventSaved) hook(event, json)
  } else if (outcome.status === 'duplicate') {
    connections.send(conn, okMessage(event.id, true, outcome.reason))
  } else {
    countReject(metrics, outcome.reason)
    connections.send(conn, okMessage(event.id, false, outcome.reason))
  }
}
