// Liveness: the one definition every part uses (nips/routing.md, "Liveness"). A router and a listing must agree
// on which nodes exist right now, or a coordinator would route to nodes the SDK calls dead and the reverse.
import type { Capability } from '../protocol/capability.ts'
import type { Heartbeat } from '../protocol/heartbeat.ts'

/** The two signed facts liveness rests on: a node's newest valid capability and heartbeat. */
export type NodeState = { capability: Capability; heartbeat: Heartbeat | undefined }

/** Fresh: younger than 3 intervals and not past its NIP-40 expiration (a node may set either one shorter). */
export function heartbeatFresh(heartbeat: Heartbeat, now: number): boolean {
  return now - heartbeat.createdAt < 3 * heartbeat.interval && heartbeat.expiresAt > now
}

/** Both events list the model: the capability prices it, the heartbeat says it is served right now. */
export function servesModel(node: NodeState, model: string): boolean {
  return node.heartbeat !== undefined && node.heartbeat.models.includes(model) && node.capability.models.some((m) => m.id === model)
}

/** Live: unexpired capability, fresh heartbeat, healthy backend; with `model`, both events list it. */
export function isLive(node: NodeState, now: number, model?: string): boolean {
  const hb = node.heartbeat
  if (!hb || node.capability.expiresAt <= now || !heartbeatFresh(hb, now) || !hb.backendHealthy) return false
  return model === undefined || servesModel(node, model)
}

/**
 * Jobs a node takes before it refuses `busy`, by its newest heartbeat: its free slots plus its free queue places
 * (nips/routing.md, "Liveness"). The queue's size is the capability's `maxQueue`; a node that does not announce it
 * counts as many queue places as slots, the rule before `maxQueue` existed (`free > 0 or queue < total`).
 */
export function room(node: NodeState): number {
  const hb = node.heartbeat
  if (!hb) return 0
  const queuePlaces = node.capability.maxQueue ?? hb.slots.total
  return hb.slots.free + Math.max(0, queuePlaces - hb.queue)
}

/** Room for one more job (see `room`): a node whose slots are taken still admits jobs into its queue. */
export function hasCapacity(node: NodeState): boolean {
  return room(node) > 0
}

/** Live (for `model`) and able to take a job now. */
export function isAvailable(node: NodeState, now: number, model?: string): boolean {
  return isLive(node, now, model) && hasCapacity(node)
}
