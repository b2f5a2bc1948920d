// The policy set `infernet relay` runs with, built from its config (cf. khatru's ApplySaneDefaults).
import type { RelayConfig } from '../config.ts'
import type { RejectEventHook, RejectFilterHook } from '../hooks.ts'
import { blockPubkeys, minPow, protectedEvents, requireAuth, requireAuthForKinds, shadowRejectPubkeys } from './access.ts'
import { createdAtWindow, maxContentLength, maxEventSize, maxTags, rejectExpired } from './limits.ts'
import { rateLimitByConnection, rateLimitByIp, rateLimitReqsByConnection } from './rateLimit.ts'

export type Policies = { rejectEvent: RejectEventHook[]; rejectFilter: RejectFilterHook[] }

export function defaultPolicies(config: RelayConfig, { now }: { now?: (() => number) | undefined } = {}): Policies {
  const rejectEvent: RejectEventHook[] = []
  const rejectFilter: RejectFilterHook[] = []
  // Cheap checks first; rate limits before anything that costs.
  if (config.eventsPerSecondPerConnection > 0) {
    rejectEvent.push(rateLimitByConnection({ perSecond: config.eventsPerSecondPerConnection, burst: config.eventBurstPerConnection, now }))
  }
  if (config.eventsPerSecondPerIp > 0) rejectEvent.push(rateLimitByIp({ perSecond: config.eventsPerSecondPerIp, burst: config.eventBurstPerIp, now }))
  rejectEvent.push(
    maxEventSize({ maxBytes: config.maxMessageBytes }),
    maxTags({ max: config.maxEventTags }),
    maxContentLength({ max: config.maxContentLength }),
    createdAtWindow({ pastSeconds: config.createdAtPastSeconds, futureSeconds: config.createdAtFutureSeconds }),
    rejectExpired(),
  )
  if (config.blockedPubkeys.length > 0) rejectEvent.push(blockPubkeys({ pubkeys: config.blockedPubkeys }))
  if (config.minPowDifficulty > 0) rejectEvent.push(minPow({ difficulty: config.minPowDifficulty }))
  if (config.authRequiredToWrite) rejectEvent.push(requireAuth())
  rejectEvent.push(protectedEvents())
  if (config.shadowBlockedPubkeys.length > 0) rejectEvent.push(shadowRejectPubkeys({ pubkeys: config.shadowBlockedPubkeys }))
  if (config.reqsPerSecondPerConnection > 0) {
    rejectFilter.push(rateLimitReqsByConnection({ perSecond: config.reqsPerSecondPerConnection, burst: config.reqBurstPerConnection, now }))
  }
  if (config.authRequiredKinds.length > 0) rejectFilter.push(requireAuthForKinds({ kinds: config.authRequiredKinds }))
  return { rejectEvent, rejectFilter }
}
