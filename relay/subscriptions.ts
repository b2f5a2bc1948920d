// Live subscriptions indexed for fan-out: each filter is filed under its most selective key (id, author, tag
// value, kind, or "any"), so a new event is matched only against the filters that could want it.
import type { NostrEvent } from '../src/protocol/event.ts'
import { matchFilter, type Filter } from './filters.ts'

export type Subscription<C> = { conn: C; subId: string; filters: Filter[] }
type Entry<C> = { sub: Subscription<C>; filter: Filter; keys: string[] }

export type SubscriptionIndex<C> = {
  add(sub: Subscription<C>): void
  remove(sub: Subscription<C>): void
  /** Subscriptions with at least one filter matching the event, each once. */
  match(event: NostrEvent): Subscription<C>[]
  readonly size: number
}

function keysFor(filter: Filter): string[] {
  if (filter.ids) return filter.ids.map((id) => 'i' + id)
  if (filter.authors) return filter.authors.map((a) => 'a' + a)
  const tags = filter.tags ? Object.entries(filter.tags) : []
  if (tags.length > 0) {
    const [name, values] = tags[0]!
    return values.map((v) => 't' + name + ':' + v)
  }
  if (filter.kinds) return filter.kinds.map((k) => 'k' + k)
  return ['*']
}

export function createSubscriptionIndex<C>(): SubscriptionIndex<C> {
  const buckets = new Map<string, Set<Entry<C>>>()
  const entries = new Map<Subscription<C>, Entry<C>[]>()

  return {
    add(sub) {
      const list = sub.filters.map((filter) => ({ sub, filter, keys: [...new Set(keysFor(filter))] }))
      entries.set(sub, list)
      for (const entry of list) {
        for (const key of entry.keys) {
          let set = buckets.get(key)
          if (!set) buckets.set(key, (set = new Set()))
          set.add(entry)
        }
      }
    },
    remove(sub) {
      const list = entries.get(sub)
      if (!list) return
      entries.delete(sub)
      for (const entry of list) {
        for (const key of entry.keys) {
          const set = buckets.get(key)
          if (!set) continue
          set.delete(entry)
          if (set.size === 0) buckets.delete(key)
        }
      }
    },
    match(event) {
      const matched = new Set<Subscription<C>>()
      const visit = (key: string) => {
        const set = buckets.get(key)
        if (!set) return
        for (const entry of set) if (!matched.has(entry.sub) && matchFilter(entry.filter, event)) matched.add(entry.sub)
      }
      visit('i' + event.id)
      visit('a' + event.pubkey)
      for (const tag of event.tags) if (tag[0] !== undefined && tag[0].length === 1 && tag[1] !== undefined) visit('t' + tag[0] + ':' + tag[1])
      visit('k' + event.kind)
      visit('*')
      return [...matched]
    },
    get size() {
      return entries.size
    },
  }
}
