// Size and shape limits on events. Each factory returns a rejectEvent hook.
import { isExpired } from '../../src/protocol/nip40.ts'
import { reject, type RejectEventHook } from '../hooks.ts'

export function maxEventSize({ maxBytes }: { maxBytes: number }): RejectEventHook {
  return (_event, ctx) => (ctx.size > maxBytes ? reject(`invalid: event message is ${ctx.size} bytes, limit is ${maxBytes}`) : undefined)
}

export function maxTags({ max }: { max: number }): RejectEventHook {
  return (event) => (event.tags.length > max ? reject(`invalid: event has ${event.tags.length} tags, limit is ${max}`) : undefined)
}

export function maxContentLength({ max }: { max: number }): RejectEventHook {
  return (event) => (event.content.length > max ? reject(`invalid: content is ${event.content.length} characters, limit is ${max}`) : undefined)
}

/** Rejects events dated too far in the future, or (when pastSeconds > 0) too far in the past. */
export function createdAtWindow({ pastSeconds, futureSeconds }: { pastSeconds: number; futureSeconds: number }): RejectEventHook {
  return (event, ctx) => {
    if (event.created_at > ctx.now + futureSeconds) return reject(`invalid: created_at is more than ${futureSeconds}s in the future`)
    if (pastSeconds > 0 && event.created_at < ctx.now - pastSeconds) return reject(`invalid: created_at is more than ${pastSeconds}s in the past`)
    return undefined
  }
}

/** NIP-40: an event that has already expired is refused. */
export function rejectExpired(): RejectEventHook {
  return (event, ctx) => (isExpired(event, ctx.now) ? reject('invalid: event has expired') : undefined)
}

