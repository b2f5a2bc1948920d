// Hook signatures of the relay (khatru style): policies and storage are functions appended to these arrays. Every
// reject hook answers the same PolicyDecision, so one runner (`decide`) orders them the same way everywhere.
import type { NostrEvent } from '../src/protocol/event.ts'
import type { Filter } from './filters.ts'
import type { EventStore, StoreWrite, WriteOutcome } from './store/types.ts'

/** What a hook may know about the connection it judges. */
export type ConnectionInfo = {
  readonly id: number
  readonly ip: string
  /** Pubkeys this connection proved with NIP-42 AUTH. */
  readonly authed: ReadonlySet<string>
}

export type EventContext = {
  conn: ConnectionInfo
  /** Unix seconds. */
  now: number
  /** Bytes of the raw EVENT message. */
  size: number
}

export type FilterContext = { conn: ConnectionInfo; now: number }

export type ConnectionRequest = { ip: string; openFromIp: number }

/**
 * A rejection carries a NIP-01 prefixed reason and is told to the client. A shadow reject pretends: an event gets
 * OK true and is dropped, a REQ/COUNT is answered as if nothing matched, a connection is closed without a reason.
 */
export type PolicyDecision = { action: 'reject'; reason: string } | { action: 'shadowReject' }

export type RejectEventHook = (event: NostrEvent, ctx: EventContext) => PolicyDecision | undefined
/** Judges all filters of one REQ/COUNT. */
export type RejectFilterHook = (filters: readonly Filter[], ctx: FilterContext) => PolicyDecision | undefined
/** Judges a new connection before it is accepted. */
export type RejectConnectionHook = (request: ConnectionRequest) => PolicyDecision | undefined
/** The first hook's outcome is the client's answer; later hooks (mirrors, archives) only see the write. */
export type StoreEventHook = (write: StoreWrite) => Promise<WriteOutcome> | WriteOutcome
/** A source REQ and COUNT both read from, so a count always counts what a REQ would serve. */
export type QueryEventsHook = Pick<EventStore, 'query' | 'count'>
/** Runs after a stored event was acknowledged; the relay's own fan-out to live subscriptions is the first. */
export type OnEventSavedHook = (event: NostrEvent, json: string) => void

export type RelayHooks = {
  rejectEvent: RejectEventHook[]
  rejectFilter: RejectFilterHook[]
  rejectConnection: RejectConnectionHook[]
  storeEvent: StoreEventHook[]
  queryEvents: QueryEventsHook[]
  onEventSaved: OnEventSavedHook[]
}

export const reject = (reason: string): PolicyDecision => ({ action: 'reject', reason })

/** The first rejection wins; a shadow reject holds only if no later hook rejects outright. */
export function decide<A extends unknown[]>(hooks: readonly ((...args: A) => PolicyDecision | undefined)[], ...args: A): PolicyDecision | undefined {
  let shadow: PolicyDecision | undefined
  for (const hook of hooks) {
    const decision = hook(...args)
    if (decision?.action === 'reject') return decision
    if (decision) shadow = decision
  }
  return shadow
}
