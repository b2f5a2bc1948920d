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
 * A free slot, or a queue shorter than the slots: the node admits queued jobs (node/jobs/scheduler.ts), and such a
 * queue clears within about one job, so refusing it would report "no capacity" while the network has some.
 */
export function hasCapacity(heartbeat: Heartbeat): boolean {
  return heartbeat.slots.free > 0 || heartbeat.queue < heartbeat.slots.total
}

/** Live (for `model`) and able to take a job now. */
export function isAvailable(node: NodeState, now: number, model?: string): boolean {
  return isLive(node, now, model) && hasCapacity(node.heartbeat!)
}
