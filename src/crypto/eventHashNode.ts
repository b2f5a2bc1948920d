// A Nostr event's id (NIP-01: sha256 of the serialized event) on node:crypto: byte for byte nostr-tools'
// getEventHash, which hashes in pure JS and costs 2.5-4x more on a job request or result that carries a tool schema
// or a long output (bench/protocol/events.bench.ts, "event id"). Node only.
import { createHash } from 'node:crypto'
import type { EventHash } from '../protocol/verify.ts'

/** The id NIP-01 defines. A field of the wrong type hashes to an id that does not match (nostr-tools throws instead). */
export const eventHashNode: EventHash = (event) =>
  createHash('sha256').update(JSON.stringify([0, event.pubkey, event.created_at, event.kind, event.tags, event.content])).digest('hex')
