// In-memory EventStore: a linear scan over a Map. The reference (oracle) for the SQLite store and the
// default store of in-process test relays.
import type { NostrEvent } from '../../src/protocol/event.ts'
import { compareEvents, matchFilter, type Filter } from '../filters.ts'
import { deletionTargets, eventAddress, getExpiration } from '../eventKinds.ts'
import { deletedReason, duplicateReason, newerReason, type EventStore, type StoredEvent, type StoreWrite, type WriteOutcome } from './types.ts'

type Row = { event: NostrEvent; json: string; expiresAt: number | undefined }

export function createMemoryStore(): EventStore {
  const byId = new Map<string, Row>()
  const byAddress = new Map<string, string>()
  const deletedIds = new Map<string, string>() // id -> pubkey that deleted it
  const deletedAddresses = new Map<string, number>() // address -> deleted up to created_at
  let bytes = 0

  const remove = (id: string) => {
    const row = byId.get(id)
    if (!row) return
    byId.delete(id)
    bytes -= row.json.length
    const address = eventAddress(row.event)
    if (address !== undefined && byAddress.get(address) === id) byAddress.delete(address)
  }

  const writeOne = ({ event, json }: StoreWrite): WriteOutcome => {
    if (byId.has(event.id)) return { status: 'duplicate', reason: duplicateReason }
    if (deletedIds.get(event.id) === event.pubkey) return { status: 'rejected', reason: deletedReason }
    const address = eventAddress(event)
    if (address !== undefined) {
      const until = deletedAddresses.get(address)
      if (until !== undefined && event.created_at <= until) return { status: 'rejected', reason: deletedReason }
      const currentId = byAddress.get(address)
      const current = currentId === undefined ? undefined : byId.get(currentId)
      if (current && compareEvents(current.event, event) < 0) return { status: 'duplicate', reason: newerReason }
      if (current) remove(current.event.id)
      byAddress.set(address, event.id)
    }
    if (event.kind === 5) {
      const targets = deletionTargets(event)
      for (const id of targets.ids) {
        const row = byId.get(id)
        if (row && row.event.pubkey === event.pubkey && row.event.kind !== 5) remove(id)
        if (!row || row.event.pubkey === event.pubkey) deletedIds.set(id, event.pubkey)
      }
      for (const addr of targets.addresses) {
        if (addr.split(':')[1] !== event.pubkey) continue
        deletedAddresses.set(addr, Math.max(deletedAddresses.get(addr) ?? 0, event.created_at))
        const currentId = byAddress.get(addr)
        const row = currentId === undefined ? undefined : byId.get(currentId)
        if (row && row.event.created_at <= event.created_at) remove(row.event.id)
      }
    }
    byId.set(event.id, { event, json, expiresAt: getExpiration(event) })
    bytes += json.length
    return { status: 'saved' }
  }

  const live = (row: Row, now: number) => row.expiresAt === undefined || row.expiresAt > now

  const matching = (filter: Filter, now: number): Row[] => {
    const out: Row[] = []
    for (const row of byId.values()) if (live(row, now) && matchFilter(filter, row.event)) out.push(row)
    return out
  }

  return {
    type: 'memory',
    write: (batch) => batch.map(writeOne),
    query(filters, now) {
      const seen = new Map<string, StoredEvent>()
      for (const filter of filters) {
        const rows = matching(filter, now).sort((a, b) => compareEvents(a.event, b.event))
        const limited = filter.limit === undefined ? rows : rows.slice(0, filter.limit)
        for (const r of limited) seen.set(r.event.id, { id: r.event.id, created_at: r.event.created_at, kind: r.event.kind, json: r.json })
      }
      return [...seen.values()].sort(compareEvents)
    },
    count(filters, now) {
      const ids = new Set<string>()
      for (const filter of filters) for (const r of matching(filter, now)) ids.add(r.event.id)
      return ids.size
    },
    purgeExpired(now) {
      let n = 0
      for (const row of [...byId.values()]) {
        if (!live(row, now)) {
          remove(row.event.id)
          n++
        }
      }
      return n
    },
    stats: () => ({ events: byId.size, bytes }),
    close() {
      byId.clear()
      byAddress.clear()
    },
  }
}
