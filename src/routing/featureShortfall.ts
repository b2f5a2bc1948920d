// Why no node takes a request that asks for more than plain text: the nodes serving the model lack a feature it
// needs (nips/routing.md, "Errors"). Told apart from "no node serves the model" and from "every node is busy", so
// the caller hears which feature to drop, or that it must wait for a node that has it.
import { missingFeatures, type ModelFeature } from '../protocol/features.ts'
import { digestMatches } from '../protocol/modelDigest.ts'
import { isLive } from './liveness.ts'
import type { RouteQuery, RoutingNode } from './score.ts'

export type FeatureShortfall = {
  model: string
  /** Required features some live node serving the model lacks (each one the request could drop), in the order asked. */
  missing: ModelFeature[]
  /** Live nodes that serve the model (with the pinned weights) but not with every feature asked for. */
  without: number
}

/**
 * Set when live nodes serve the model but none with every feature the query asks for. Undefined when the query
 * asks for none, when no live node serves the model at all, or when one serves it with them all (whatever else
 * keeps it from taking the job: price, policy, room).
 */
export function featureShortfall(nodes: Iterable<RoutingNode>, query: Pick<RouteQuery, 'model' | 'digest' | 'features'>, now: number): FeatureShortfall | undefined {
  const required = query.features ?? []
  if (required.length === 0) return undefined
  const missing = new Set<ModelFeature>()
  let without = 0
  for (const node of nodes) {
    if (!isLive(node, now, query.model)) continue
    const entry = node.capability.models.find((m) => m.id === query.model)
    if (query.digest !== undefined && !digestMatches(entry?.digest, query.digest)) continue
    const lacks = missingFeatures(entry, required)
    if (lacks.length === 0) return undefined
    without++
    for (const f of lacks) missing.add(f)
  }
  if (without === 0) return undefined
  return { model: query.model, missing: required.filter((f) => missing.has(f)), without }
}

/** "no live node serves llama3 with tools (2 serve it without)": the one wording the SDK and the gateway give. */
export function describeShortfall({ model, missing, without }: FeatureShortfall): string {
  const names = missing.length === 1 ? missing[0]! : `${missing.slice(0, -1).join(', ')} and ${missing[missing.length - 1]!}`
  return `no live node serves ${model} with ${names} (${without} serve${without === 1 ? 's' : ''} it without)`
}
