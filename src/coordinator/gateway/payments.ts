// The gateway pays the nodes it uses, like any client: a receipt book signed with the coordinator's own key, on
// the settlement contract named by INFERNET_SETTLEMENT_ADDRESS (src/payments/config.ts). The newest receipt per
// (payee, token) is persisted in its own SQLite file, not in the coordinator's cache database: a cumulative amount
// must never go back after a restart, or the node refuses the next receipt. Without a settlement contract the
// gateway pays nothing and only free nodes will serve it beyond their credit limit.
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { bytesToHex } from '@noble/hashes/utils.js'
import type { Address } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { createReceiptBook } from '../../../client/payments/receiptBook.ts'
import { receiptBookIssuer } from '../../../client/receiptBookIssuer.ts'
import type { ReceiptIssuer } from '../../../client/receipts.ts'
import type { Logger } from '../../log.ts'
import { loadPaymentsConfig } from '../../payments/config.ts'
import { receiptFromJson, receiptToJson, verifyReceipt, type SettlementDomain, type SignedReceipt } from '../../payments/voucher.ts'

export type GatewayPayments = { receipts: ReceiptIssuer; close(): void }

export type CreateGatewayPaymentsParameters = {
  home: string
  secretKey: Uint8Array
  /** Most the gateway owes one node per channel epoch, in base units. */
  budgetPerNode: bigint
  env?: Record<string, string | undefined> | undefined
  logger: Logger
}

export function gatewayReceiptsPath(home: string): string {
  return join(home, 'gateway-receipts.sqlite')
}

/**
 * The newest receipt per channel, keyed by chain id and settlement contract as well as payee and token: a receipt
 * signed for another chain or contract (an earlier dev chain under the same home, say) is worth nothing here, and
 * continuing its cumulative amount would make the node refuse every receipt on the new one.
 */
export function openChannelReceipts(db: Database.Database, domain: SettlementDomain) {
  db.exec(
    'CREATE TABLE IF NOT EXISTS channel_receipts (chain_id INTEGER NOT NULL, contract TEXT NOT NULL, payee TEXT NOT NULL, token TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (chain_id, contract, payee, token))',
  )
  const contract = domain.verifyingContract.toLowerCase()
  const select = db.prepare<[number, string, string, string], { json: string }>('SELECT json FROM channel_receipts WHERE chain_id = ? AND contract = ? AND payee = ? AND token = ?')
  const upsert = db.prepare(
    'INSERT INTO channel_receipts (chain_id, contract, payee, token, json) VALUES (?, ?, ?, ?, ?) ON CONFLICT (chain_id, contract, payee, token) DO UPDATE SET json = excluded.json',
  )
  return {
    load(payee: Address, token: Address): SignedReceipt | undefined {
      const row = select.get(domain.chainId, contract, payee.toLowerCase(), token.toLowerCase())
      return row ? receiptFromJson(JSON.parse(row.json)) : undefined
    },
    save(receipt: SignedReceipt): void {
      upsert.run(domain.chainId, contract, receipt.payee.toLowerCase(), receipt.token.toLowerCase(), JSON.stringify(receiptToJson(receipt, domain)))
    },
  }
}

/**
 * The first layout keyed receipts by (payee, token) only. Each old row moves to the new table if its signature
 * verifies for this chain and contract (the same deployment, restarted); a row signed for another domain (an
 * earlier dev chain) is dropped: its cumulative amount means nothing here.
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
    if ((await verifyReceipt(receipt, domain)).ok && !store.load(receipt.payee, receipt.token)) {
      store.save(receipt)
      moved++
    } else dropped++
  }
  db.exec('DROP TABLE receipts')
  return { moved, dropped }
}

export async function createGatewayPayments({ home, secretKey, budgetPerNode, env = process.env, logger }: CreateGatewayPaymentsParameters): Promise<GatewayPayments | undefined> {
  let chain
  try {
    chain = loadPaymentsConfig({ env })
  } catch {
    logger.info('no settlement contract configured: the gateway sends no receipts (free nodes only)')
    return undefined
  }
  const db = new Database(gatewayReceiptsPath(home))
  db.pragma('journal_mode = WAL')
  const domain = { chainId: chain.chainId, verifyingContract: chain.settlementAddress as Address }
  const migrated = await migrateLegacyReceipts(db, domain)
  if (migrated.moved + migrated.dropped > 0) logger.info('gateway receipts keyed by chain and contract', migrated)
  const store = openChannelReceipts(db, domain)
  const book = createReceiptBook({
    account: privateKeyToAccount(`0x${bytesToHex(secretKey)}`),
    domain,
    budget: budgetPerNode,
    load: store.load,
    save: store.save,
  })
  logger.info('the gateway pays receipts', { chainId: chain.chainId, contract: chain.settlementAddress })
  return { receipts: receiptBookIssuer({ book, domain }), close: () => db.close() }
}
