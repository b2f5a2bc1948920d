// The gateway pays the nodes it uses, like any client: a receipt book signed with the coordinator's own key, on
// the settlement contract named by INFERNET_SETTLEMENT_ADDRESS (src/payments/config.ts). The newest receipt per
// channel is persisted in its own SQLite file (src/payments/receiptStore.ts), not in the coordinator's cache
// database: a cumulative amount must never go back after a restart, or the node refuses the next receipt. Without a settlement contract the
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
import { migrateLegacyReceipts, openChannelReceipts } from '../../payments/receiptStore.ts'

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
    store,
  })
  logger.info('the gateway pays receipts', { chainId: chain.chainId, contract: chain.settlementAddress })
  return { receipts: receiptBookIssuer({ book, domain }), close: () => db.close() }
}
