// NIP-40 expiration, read one way everywhere: the relay's storage, purge and door policy, event validation and the
// node's job deadline. NIP-40 defines one `expiration` tag whose value is a unix timestamp in seconds, so the first
// such tag decides; a value that is not plain decimal digits (or too large to be an exact integer) is malformed,
// and a malformed tag is not silently replaced by a later one.
import type { Event as NostrEvent } from 'nostr-tools/core'

/** The timestamp, 'malformed' when the first `expiration` tag is not a unix timestamp, undefined when there is none. */
export function readExpiration(event: Pick<NostrEvent, 'tags'>): number | 'malformed' | undefined {
  const tag = event.tags.find((t) => t[0] === 'expiration')
  if (!tag) return undefined
  const value = tag[1]
  if (value === undefined || !/^\d+$/.test(value)) return 'malformed'
  const at = Number(value)
  return Number.isSafeInteger(at) ? at : 'malformed'
}

/** NIP-40: the `expiration` tag, or undefined when the event never expires (a malformed tag counts as none). */
export function getExpiration(event: Pick<NostrEvent, 'tags'>): number | undefined {
  const at = readExpiration(event)
  return at === 'malformed' ? undefined : at
}

/** NIP-40: expired at or before `now` (unix seconds). */
export function isExpired(event: Pick<NostrEvent, 'tags'>, now: number = Math.floor(Date.now() / 1000)): boolean {
  const at = getExpiration(event)
  return at !== undefined && at <= now
}
