// Where a payer keeps each channel's newest receipt (the receipt book reads and writes it): the contract, apart from
// any storage, so the SDK package's receipt book carries no database. The CLI's and the gateway's is SQLite
// (receiptStore.ts); a browser app could keep one in IndexedDB.
import type { Address } from 'viem'
import type { SignedReceipt } from './voucher.ts'

/**
 * A channel's newest receipt, the job ids its jobsHash chains last (oldest first; nips/cpr.md), and what the jobs
 * served in its epoch came to: below the cumulative while work paid ahead (prepaid receipts) is left.
 */
export type StoredChannel = { receipt: SignedReceipt; jobs: string[]; served: bigint }

export type ChannelStore = {
  load(payee: Address, token: Address): StoredChannel | undefined
  /**
   * Records `next` when the stored receipt is still `previous` (undefined: there was none). False when another
   * writer saved first: read again and build on what it saved.
   */
  save(next: StoredChannel, previous: SignedReceipt | undefined): boolean
}

