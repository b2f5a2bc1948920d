// Oracle test: the SQLite store must give exactly the answers of the in-memory store (a plain scan with
// matchFilter) on random events, including replaceable/addressable replacement, deletions, expiration.
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NostrEvent } from '../../../src/protocol/event.ts'
import type { Filter } from '../../../relay/filters.ts'
import { serializeEvent } from '../../../relay/messages.ts'
import { createMemoryStore } from '../../../relay/store/memory.ts'
import { createSqliteStore } from '../../../relay/store/sqlite.ts'

// Deterministic PRNG (mulberry32) so a failure reproduces.
function rng(seed: number) {
  return () => {
    seed |= 0
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const dir = mkdtempSync(join(tmpdir(), 'relay-oracle-'))
after(() => rmSync(dir, { recursive: true, force: true }))

describe('SQLite store vs memory store (oracle)', () => {
  for (const seed of [1, 2, 3]) {
    it(`agrees on writes, queries and counts (seed ${seed})`, () => {
      const rand = rng(seed)
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!
      const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(rand() * 16)]).join('')
      const pubkeys = Array.from({ length: 4 }, () => hex(64))
      const kinds = [1, 1, 1, 7, 0, 3, 10002, 30023, 30023, 30024, 5]
      const tagValues = ['x', 'y', 'z']
      const now = 2000
      const events: NostrEvent[] = []
      for (let i = 0; i < 400; i++) {
        if (events.length > 0 && rand() < 0.05) {
          events.push(pick(events)) // resend: duplicate
          continue
        }
        const kind = pick(kinds)
        const pubkey = pick(pubkeys)
        const tags: string[][] = []
        if (kind >= 30000) tags.push(['d', pick(['', 'a', 'b'])])
        if (kind === 5) {
          for (let j = 0; j < 1 + Math.floor(rand() * 3); j++) {
            if (rand() < 0.7 && events.length > 0) tags.push(['e', pick(events).id])
            else tags.push(['a', `${pick([30023, 30024])}:${rand() < 0.8 ? pubkey : pick(pubkeys)}:${pick(['', 'a', 'b'])}`])
          }
        } else {
          for (let j = 0; j < Math.floor(rand() * 4); j++) tags.push([pick(['t', 'p', 'e']), pick(tagValues), 'extra'])
          if (rand() < 0.1) tags.push(['expiration', String(pick([1500, 1999, 2000, 2500, 3000]))])
        }
        events.push({ id: hex(64), pubkey, created_at: 1000 + Math.floor(rand() * 40), kind, tags, content: `c${i}`, sig: hex(128) })
      }
      const memory = createMemoryStore()
      const sqlite = createSqliteStore({ path: join(dir, `oracle-${seed}.db`) })
      try {
        // Random batch sizes: one transaction per batch in SQLite.
        const outcomes = new Map<string, number>()
        for (let i = 0; i < events.length; ) {
          const n = 1 + Math.floor(rand() * 20)
          const batch = events.slice(i, i + n).map((event) => ({ event, json: serializeEvent(event) }))
          const got = sqlite.write(batch, now)
          assert.deepEqual(got, memory.write(batch, now), `batch at ${i}`)
          for (const o of got) {
            const k = o.status === 'saved' ? 'saved' : o.reason
            outcomes.set(k, (outcomes.get(k) ?? 0) + 1)
          }
          i += n
        }
        // The random history exercises every write path.
        assert.equal(outcomes.size, 4, JSON.stringify([...outcomes]))
        assert.ok(memory.stats().events < (outcomes.get('saved') ?? 0), 'some saved events were replaced or deleted')
        const randomFilter = (): Filter => {
          const f: Filter = {}
          if (rand() < 0.15) f.ids = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(events).id)
          if (rand() < 0.4) f.authors = Array.from({ length: 1 + Math.floor(rand() * 2) }, () => pick(pubkeys))
          if (rand() < 0.5) f.kinds = Array.from({ length: 1 + Math.floor(rand() * 2) }, () => pick(kinds))
          if (rand() < 0.4) f.tags = { [pick(['t', 'p', 'e', 'd'])]: Array.from({ length: 1 + Math.floor(rand() * 2) }, () => pick([...tagValues, 'a', ''])) }
          if (rand() < 0.15) f.tags = { ...f.tags, [pick(['t', 'p'])]: [pick(tagValues)] }
          if (rand() < 0.3) f.since = 1000 + Math.floor(rand() * 40)
          if (rand() < 0.3) f.until = 1000 + Math.floor(rand() * 40)
          if (rand() < 0.6) f.limit = Math.floor(rand() * 30)
          return f
        }
        let nonEmpty = 0
        for (let q = 0; q < 300; q++) {
          const filters = Array.from({ length: rand() < 0.8 ? 1 : 2 }, randomFilter)
          const queryNow = pick([now, 2600])
          const expected = memory.query(filters, queryNow)
          assert.deepEqual(sqlite.query(filters, queryNow), expected, JSON.stringify(filters))
          assert.equal(sqlite.count(filters, queryNow), memory.count(filters, queryNow), JSON.stringify(filters))
          if (expected.length > 0) nonEmpty++
        }
        assert.ok(nonEmpty > 100, `filters should often match (matched ${nonEmpty}/300)`)
        assert.equal(sqlite.purgeExpired(2600), memory.purgeExpired(2600))
        assert.deepEqual(sqlite.query([{}], 0), memory.query([{}], 0))
        assert.equal(sqlite.stats().events, memory.stats().events)
      } finally {
        sqlite.close()
        memory.close()
      }
    })
  }
})
