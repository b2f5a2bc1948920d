// What storing one event does, decided once for both stores: duplicate or deleted-before-arrival events are
// skipped, a replaceable/addressable event replaces the older versions at its address (or is skipped when a newer
// one is there), and a NIP-09 deletion removes its author's targets and leaves tombstones, so a target that arrives
// later (or again) stays deleted. Pure: the store answers the lookups and applies the plan, which is why the
// SQLite-vs-memory oracle test checks the stores' bookkeeping while test/relay/unit/writePlan.test.ts checks the rules.
import type { NostrEvent } from '../../src/protocol/event.ts'
import { addressOf, formatAddress, type EventAddress } from '../../src/protocol/address.ts'
import { EventDeletion, kindClass } from '../../src/protocol/kinds.ts'
import { deletesEvent, deletesVersion, deletionTargets, ownDeletedAddresses } from '../../src/protocol/nip09.ts'
import { compareEvents } from '../filters.ts'
import { deletedReason, duplicateReason, ephemeralReason, newerReason, type WriteOutcome } from './types.ts'

/** A stored event as far as the rules need it; stores pass their own row type through to the plan. */
export type StoredVersion = Pick<NostrEvent, 'id' | 'pubkey' | 'kind' | 'created_at'>

/** The store's current state, read-only. `key` is the formatted address, the key of address tombstones. */
export type WriteView<R extends StoredVersion> = {
  byId(id: string): R | undefined
  atAddress(address: EventAddress, key: string): readonly R[]
  /** The pubkey of the deletion request that named this id. */
  deletedBy(id: string): string | undefined
  /** The created_at up to which this address was deleted. */
  deletedUntil(key: string): number | undefined
}

export type WritePlan<R extends StoredVersion> =
  | { action: 'skip'; outcome: Exclude<WriteOutcome, { status: 'saved' }> }
  | {
      action: 'store'
      /** Stored events to delete first (older versions, deletion targets), each once. */
      remove: R[]
      /** Ids to remember as deleted by `pubkey`. */
      tombstoneIds: { id: string; pubkey: string }[]
      /** Addresses to remember as deleted up to `until` (already the maximum with any earlier tombstone). */
      tombstoneAddresses: { key: string; until: number }[]
    }

export function planWrite<R extends StoredVersion>(event: NostrEvent, view: WriteView<R>): WritePlan<R> {
  if (kindClass(event.kind) === 'ephemeral') return { action: 'skip', outcome: { status: 'rejected', reason: ephemeralReason } }
  if (view.byId(event.id)) return { action: 'skip', outcome: { status: 'duplicate', reason: duplicateReason } }
  if (view.deletedBy(event.id) === event.pubkey) return { action: 'skip', outcome: { status: 'rejected', reason: deletedReason } }
  const remove = new Map<string, R>()
  const address = addressOf(event)
  if (address) {
    const key = formatAddress(address)
    const until = view.deletedUntil(key)
    if (until !== undefined && deletesVersion({ created_at: until }, event)) return { action: 'skip', outcome: { status: 'rejected', reason: deletedReason } }
    const current = view.atAddress(address, key)
    if (current.some((version) => compareEvents(version, event) < 0)) return { action: 'skip', outcome: { status: 'duplicate', reason: newerReason } }
    for (const version of current) remove.set(version.id, version)
  }
  const tombstoneIds: { id: string; pubkey: string }[] = []
  const tombstoneAddresses: { key: string; until: number }[] = []
  if (event.kind === EventDeletion) {
    for (const id of deletionTargets(event).ids) {
      const target = view.byId(id)
      if (target && deletesEvent(event, target)) remove.set(target.id, target)
      // A target not seen yet may be the author's; someone else's stored event keeps no tombstone of this request.
      if (!target || target.pubkey === event.pubkey) tombstoneIds.push({ id, pubkey: event.pubkey })
    }
    for (const target of ownDeletedAddresses(event)) {
      const key = formatAddress(target)
      tombstoneAddresses.push({ key, until: Math.max(view.deletedUntil(key) ?? 0, event.created_at) })
      for (const version of view.atAddress(target, key)) if (deletesVersion(event, version)) remove.set(version.id, version)
    }
  }
  return { action: 'store', remove: [...remove.values()], tombstoneIds, tombstoneAddresses }
}
