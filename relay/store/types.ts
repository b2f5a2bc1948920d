// The storage interface the relay writes to and reads from. Implementations: memory.ts (tests, no --db) and
// sqlite.ts (production). Both are synchronous: the relay's writer batches calls and acknowledges after `write`.
import type { NostrEvent } from '../../src/protocol/event.ts'
import type { Filter } from '../filters.ts'

/** An event accepted by the relay's checks, with the exact JSON that will be stored and served. */
export type StoreWrite = { event: NostrEvent; json: string }

export type WriteOutcome =
  /** Committed. */
  | { status: 'saved' }
  /** Not stored, but the client gets OK true (already have it, or a newer replaceable version). */
  | { status: 'duplicate'; reason: string }
  /** Not stored, OK false (e.g. the event was deleted by its author). */
  | { status: 'rejected'; reason: string }

/** A row as served: enough to order results and the raw JSON to send verbatim. */
export type StoredEvent = { id: string; created_at: number; kind: number; json: string }

export type StoreStats = { events: number; bytes: number }

export interface EventStore {
  readonly type: 'memory' | 'sqlite'
  /** Applies the writes in order, atomically (one transaction); outcomes are index-aligned with the batch. */
  write(batch: readonly StoreWrite[], now: number): WriteOutcome[]
  /** Union of the filters' matches (each filter's `limit` applied to it), newest first then lowest id; expired events excluded. */
  query(filters: readonly Filter[], now: number): StoredEvent[]
  /** NIP-45: how many distinct events match any of the filters (limits ignored). */
  count(filters: readonly Filter[], now: number): number
  /** Deletes events whose NIP-40 expiration is at or before `now`; returns how many. */
  purgeExpired(now: number): number
  stats(): StoreStats
  close(): void
}

export const duplicateReason = 'duplicate: already have this event'
export const newerReason = 'duplicate: have a newer version of this replaceable event'
export const deletedReason = 'blocked: this event was deleted by its author'
export const ephemeralReason = 'invalid: ephemeral events are broadcast, never stored'
