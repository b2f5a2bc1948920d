// A payer's newest receipt per channel, in SQLite: the gateway's receipts (gateway-receipts.sqlite) and the CLI's
// (receipts.sqlite under INFERNET_HOME) both live in one. A cumulative amount must never go back, or the node refuses
// the next receipt, so the store is the one truth between restarts and between processes sharing a home: `save`
// writes only over the row it was read from (compare and swap), and a writer that lost the race reads again.
//
// Keyed by chain id and settlement contract as well as payee and token: a receipt signed for another chain or
// contract (an earlier dev chain under the same home, say) is worth nothing here, and continuing its cumulative
// would make the node refuse every receipt on the new one.
import type Database from 'better-sqlite3'
import type { Address } from 'viem'
import type { ChannelStore, StoredChannel } from './channelStore.ts'
import { coveredJobsFromJson, receiptFromJson, receiptToJson, verifyReceipt, type SettlementDomain, type SignedReceipt } from './voucher.ts'

export type { ChannelStore, StoredChannel } from './channelStore.ts'

export function openChannelReceipts(db: Database.Database, domain: SettlementDomain): ChannelStore {
  db.exec(
    'CREATE TABLE IF NOT EXISTS channel_receipts (chain_id INTEGER NOT NULL, contract TEXT NOT NULL, payee TEXT NOT NULL, token TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (chain_id, contract, payee, token))',
  )
  const contract = domain.verifyingContract.toLowerCase()
  const select = db.prepare<[number, string, string, string], { json: string }>('SELECT json FROM channel_receipts WHERE chain_id = ? AND contract = ? AND payee = ? AND token = ?')
  const insert = db.prepare('INSERT OR IGNORE INTO channel_receipts (chain_id, contract, payee, token, json) VALUES (?, ?, ?, ?, ?)')
  const swap = db.prepare('UPDATE channel_receipts SET json = ? WHERE chain_id = ? AND contract = ? AND payee = ? AND token = ? AND json = ?')
  const keyOf = (payee: Address, token: Address) => [domain.chainId, contract, payee.toLowerCase(), token.toLowerCase()] as const
  const toJson = ({ receipt, jobs, served }: StoredChannel) => JSON.stringify({ ...receiptToJson(receipt, domain, { jobs }), served: served.toString() })
  // What each row held when this handle last read or wrote it: the value a swap must still find there.
  const seen = new Map<string, { json: string; signature: string }>()
  const seenKey = (payee: Address, token: Address) => keyOf(payee, token).join(':')
  return {
    load(payee, token) {
      const row = select.get(...keyOf(payee, token))
      if (!row) return undefined
      const value = JSON.parse(row.json) as unknown
      const receipt = receiptFromJson(value)
      seen.set(seenKey(payee, token), { json: row.json, signature: receipt.signature })
      const served = (value as { served?: unknown }).served
      // Rows written before `served` was kept were all postpaid: every job paid exactly.
      return { receipt, jobs: coveredJobsFromJson(value) ?? [], served: typeof served === 'string' && /^\d{1,78}$/.test(served) ? BigInt(served) : receipt.cumulative }
    },
    save(next, previous) {
      const key = keyOf(next.receipt.payee, next.receipt.token)
      const json = toJson(next)
      let changed: number
      if (!previous) changed = insert.run(...key, json).changes
      else {
        const was = seen.get(seenKey(next.receipt.payee, next.receipt.token))
        // Only a row this handle read can be swapped; a receipt it never saw there means someone else wrote it.
        if (!was || was.signature !== previous.signature) return false
        changed = swap.run(json, ...key, was.json).changes
      }
      if (changed === 1) seen.set(seenKey(next.receipt.payee, next.receipt.token), { json, signature: next.receipt.signature })
      return changed === 1
    },
  }
}

/**
 * The gateway's first layout keyed receipts by (payee, token) only. Each old row moves to the new table if its
 * signature verifies for this chain and contract (the same deployment, restarted); a row signed for another domain
 * (an earlier dev chain) is dropped: its cumulative amount means nothing here.
 */
export async function migrateLegacyReceipts(db: Database.Database, domain: SettlementDomain): Promise<{ moved: number; dropped: number }> {
  const legacy = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'receipts'").get()
  if (!legacy) return { moved: 0, dropped: 0 }
  const store = openChannelReceipts(db, domain)
  let moved = 0
  let dropped = 0
  for (const row of db.prepare<[], { json: string }>('SELECT json FROM receipts').all()) {
    let receipt: SignedReceipt
    try {
      receipt = receiptFromJson(JSON.parse(row.json))
    } catch {
      dropped++
      continue
    }
    if ((await verifyReceipt(receipt, domain)).ok && !store.load(receipt.payee, receipt.token) && store.save({ receipt, jobs: [], served: receipt.cumulative }, undefined)) moved++
    else dropped++
  }
  db.exec('DROP TABLE receipts')
  return { moved, dropped }
}
