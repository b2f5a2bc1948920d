// In-memory EventStore: a Map by id and a linear scan for everything else (queries, addresses). Deliberately dumb
// (strfry's dumbFilter), so it can serve as the reference (oracle) for the SQLite store; also the default store of
// in-process test relays. What a write does is decided by writePlan.ts, not here.
import type { NostrEvent } from '../../src/protocol/event.ts'
import { eventAddress } from '../../src/protocol/address.ts'
import { getExpiration } from '../../src/protocol/nip40.ts'
import { compareEvents, matchFilter, type Filter } from '../filters.ts'
import type { EventStore, StoredEvent, StoreWrite, WriteOutcome } from './types.ts'
import { planWrite, type WriteView } from './writePlan.ts'

type Row = { event: NostrEvent; json: string; expiresAt: number | undefined }

export function createMemoryStore(): EventStore {
  const rows = new Map<string, Row>()
  const deletedIds = new Map<string, string>()
  const deletedAddresses = new Map<string, number>()
  let bytes = 0

  const view: WriteView<NostrEvent> = {
    byId: (id) => rows.get(id)?.event,
    atAddress: (_address, key) => [...rows.values()].filter((r) => eventAddress(r.event) === key).map((r) => r.event),
    deletedBy: (id) => deletedIds.get(id),
    deletedUntil: (key) => deletedAddresses.get(key),
  }

  const remove = (id: string) => {
    const row = rows.get(id)
    if (!row) return
    rows.delete(id)
    bytes -= row.json.length
  }

  const writeOne = ({ event, json }: StoreWrite): WriteOutcome => {
    const plan = planWrite(event, view)
    if (plan.action === 'skip') return plan.outcome
    for (const { id } of plan.remove) remove(id)
    for (const { id, pubkey } of plan.tombstoneIds) deletedIds.set(id, pubkey)
    for (const { key, until } of plan.tombstoneAddresses) deletedAddresses.set(key, until)
    rows.set(event.id, { event, json, expiresAt: getExpiration(event) })
    bytes += json.length
    return { status: 'saved' }
  }

  const live = (row: Row, now: number) => row.expiresAt === undefined || row.expiresAt > now

  const matching = (filter: Filter, now: number): Row[] => [...rows.values()].filter((row) => live(row, now) && matchFilter(filter, row.event))

  return {
    type: 'memory',
    write: (batch) => batch.map(writeOne),
    query(filters, now) {
      const seen = new Map<string, StoredEvent>()
      for (const filter of filters) {
        const found = matching(filter, now).sort((a, b) => compareEvents(a.event, b.event))
        const limited = filter.limit === undefined ? found : found.slice(0, filter.limit)
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
      for (const row of [...rows.values()]) {
        if (!live(row, now)) {
          remove(row.event.id)
          n++
        }
      }
      return n
    },
    stats: () => ({ events: rows.size, bytes }),
    close() {
      rows.clear()
    },
  }
}
