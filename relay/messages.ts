// Client-to-relay messages parsed into a discriminated union, and the relay-to-client messages as strings.
// Stored events travel as their raw JSON, so outgoing EVENT messages are built by concatenation, not re-serialized.
import type { NostrEvent } from '../src/protocol/event.ts'
import { parseFilter, type Filter } from './filters.ts'

export type ClientMessage =
  | { type: 'event'; event: unknown }
  | { type: 'req'; subId: string; filters: Filter[] }
  | { type: 'count'; subId: string; filters: Filter[] }
  | { type: 'close'; subId: string }
  | { type: 'auth'; event: unknown }
  | { type: 'invalid'; reason: string; subId?: string | undefined; eventId?: string | undefined; verb?: string | undefined }

export type ParseMessageOptions = { maxFilters: number; maxSubIdLength: number }

function invalid(reason: string, extra: { subId?: string | undefined; eventId?: string | undefined; verb?: string | undefined } = {}): ClientMessage {
  return { type: 'invalid', reason, ...extra }
}

export function parseClientMessage(text: string, options: ParseMessageOptions): ClientMessage {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    return invalid('invalid: message is not valid JSON')
  }
  if (!Array.isArray(data) || data.length === 0 || typeof data[0] !== 'string') {
    return invalid('invalid: message must be a JSON array starting with a verb')
  }
  const verb = data[0]
  switch (verb) {
    case 'EVENT': {
      if (data.length !== 2) {
        const id = typeof data[1] === 'object' && data[1] !== null ? (data[1] as { id?: unknown }).id : undefined
        return invalid('invalid: EVENT takes exactly one event', { eventId: typeof id === 'string' ? id : undefined, verb })
      }
      return { type: 'event', event: data[1] }
    }
    case 'REQ':
    case 'COUNT': {
      const subId = data[1]
      if (typeof subId !== 'string' || subId.length === 0 || subId.length > options.maxSubIdLength) {
        return invalid(`invalid: subscription id must be a string of 1-${options.maxSubIdLength} characters`, {
          subId: typeof subId === 'string' && subId.length > 0 && subId.length <= 256 ? subId : undefined,
          verb,
        })
      }
      const rawFilters = data.slice(2)
      if (rawFilters.length === 0) return invalid(`invalid: ${verb} needs at least one filter`, { subId, verb })
      if (rawFilters.length > options.maxFilters) return invalid(`invalid: too many filters (${rawFilters.length}, max ${options.maxFilters})`, { subId, verb })
      const filters: Filter[] = []
      for (const raw of rawFilters) {
        const parsed = parseFilter(raw)
        if (!parsed.ok) return invalid(parsed.reason, { subId, verb })
        filters.push(parsed.filter)
      }
      return { type: verb === 'REQ' ? 'req' : 'count', subId, filters }
    }
    case 'CLOSE': {
      if (data.length !== 2 || typeof data[1] !== 'string') return invalid('invalid: CLOSE takes one subscription id', { verb })
      return { type: 'close', subId: data[1] }
    }
    case 'AUTH': {
      if (data.length !== 2) return invalid('invalid: AUTH takes exactly one event', { verb })
      return { type: 'auth', event: data[1] }
    }
    default:
      return invalid(`invalid: unknown message type ${JSON.stringify(verb.slice(0, 32))}`)
  }
}

// Relay-to-client messages.
export const okMessage = (eventId: string, ok: boolean, reason = ''): string => JSON.stringify(['OK', eventId, ok, reason])
export const eoseMessage = (subId: string): string => JSON.stringify(['EOSE', subId])
export const closedMessage = (subId: string, reason: string): string => JSON.stringify(['CLOSED', subId, reason])
export const noticeMessage = (text: string): string => JSON.stringify(['NOTICE', text])
export const authMessage = (challenge: string): string => JSON.stringify(['AUTH', challenge])
export const countMessage = (subId: string, count: number): string => JSON.stringify(['COUNT', subId, { count }])
/** `json` is the stored serialization of the event, sent verbatim. */
export const eventMessage = (subId: string, json: string): string => '["EVENT",' + JSON.stringify(subId) + ',' + json + ']'

/** Canonical compact serialization of an accepted event (what we store and send). */
export function serializeEvent(event: NostrEvent): string {
  return JSON.stringify({
    id: event.id,
    pubkey: event.pubkey,
    created_at: event.created_at,
    kind: event.kind,
    tags: event.tags,
    content: event.content,
    sig: event.sig,
  })
}
