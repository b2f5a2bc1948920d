// Hook signatures of the relay (khatru style): policies are functions appended to these arrays.
import type { NostrEvent } from '../src/protocol/event.ts'
import type { Filter } from './filters.ts'
import type { StoredEvent, StoreWrite, WriteOutcome } from './store/types.ts'

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

/** A rejection carries a NIP-01 prefixed reason; a shadow reject answers OK true and drops the event. */
export type PolicyDecision = { action: 'reject'; reason: string } | { action: 'shadowReject' }

export type RejectEventHook = (event: NostrEvent, ctx: EventContext) => PolicyDecision | undefined
/** Judges all filters of one REQ/COUNT; returns a prefixed reason to answer CLOSED, or undefined. */
export type RejectFilterHook = (filters: readonly Filter[], ctx: { conn: ConnectionInfo; now: number }) => string | undefined
/** Judges a new connection before it is accepted; returns a reason to refuse it. */
export type RejectConnectionHook = (info: { ip: string; openFromIp: number }) => string | undefined
export type StoreEventHook = (write: StoreWrite) => Promise<WriteOutcome> | WriteOutcome
export type QueryEventsHook = (filters: readonly Filter[], now: number) => StoredEvent[]
export type DeleteEventsHook = (deletion: NostrEvent) => void
export type OnEventSavedHook = (event: NostrEvent, json: string) => void

export type RelayHooks = {
  rejectEvent: RejectEventHook[]
  rejectFilter: RejectFilterHook[]
  rejectConnection: RejectConnectionHook[]
  storeEvent: StoreEventHook[]
  queryEvents: QueryEventsHook[]
  deleteEvents: DeleteEventsHook[]
  onEventSaved: OnEventSavedHook[]
}

export const reject = (reason: string): PolicyDecision => ({ action: 'reject', reason })
