// What `infernet chat` pays with: cumulative receipts (CPRs) signed by the home's payment key on the configured
// settlement contract, drawn on the channel `infernet deposit` funded for that node and never beyond its deposit on
// chain. The newest receipt per channel lives in <home>/receipts.sqlite (src/payments/receiptStore.ts), so each chat
// process continues the sequence the one before signed. Without a settlement contract configured, chat pays nothing:
// free nodes serve it, a priced node refuses with a payment error whose hint says what to set.
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { bytesToHex, getAddress } from 'viem'
import type { Address } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { configFilePath } from '../../src/config/common.ts'
import type { Identity } from '../../src/keys/identity.ts'
import { createSettlementClient } from '../../src/payments/clients.ts'
import { loadPaymentsConfig, type PaymentsConfig } from '../../src/payments/config.ts'
import { getChannel, type Channel } from '../../src/payments/contract.ts'
import { PaymentsNotConfiguredError, ReceiptBudgetExceededError } from '../../src/payments/errors.ts'
import { openChannelReceipts } from '../../src/payments/receiptStore.ts'
import type { SettlementDomain } from '../../src/payments/voucher.ts'
import type { CapabilityContent } from '../../src/protocol/capability.ts'
import { createReceiptBook } from '../payments/receiptBook.ts'
import { channelTerms, receiptBookIssuer } from '../receiptBookIssuer.ts'
import type { ReceiptIssuer } from '../receipts.ts'

/** Where a channel stands after a job: the newest receipt's cumulative against the deposit on chain. */
export type ChannelStanding = {
  payee: Address
  token: Address
  /** The newest receipt's: everything signed over to the node in this epoch. */
  cumulative: bigint
  jobCount: bigint
  deposit: bigint
  /** deposit - cumulative: what further receipts may still sign over. */
  left: bigint
  /** Of the cumulative, what was paid ahead and no job has used yet (nodes that serve only prepaid work). */
  prepaid: bigint
}

/** What became of the last receipt this process owed a node: signed (the channel after it), or why not. */
export type PaymentOutcome = ({ paid: true } & ChannelStanding) | { paid: false; reason: string }

export type ChatPayments = {
  receipts: ReceiptIssuer
  chain: PaymentsConfig
  /** The last receipt this process owed a node (Nostr pubkey); undefined when it owed it none. */
  outcome(node: string): PaymentOutcome | undefined
  close(): void
}

export function receiptsPath(home: string): string {
  return join(home, 'receipts.sqlite')
}

/** Undefined when no settlement contract is configured (file < env); other config errors throw. */
export function openChatPayments({ home, identity, env = process.env }: { home: string; identity: Identity; env?: Record<string, string | undefined> }): ChatPayments | undefined {
  let chain: PaymentsConfig
  try {
    chain = loadPaymentsConfig({ file: configFilePath(home), env })
  } catch (err) {
    if (err instanceof PaymentsNotConfiguredError) return undefined
    throw err
  }
  const account = privateKeyToAccount(bytesToHex(identity.paymentSecretKey))
  const settlement = createSettlementClient(chain, account)
  const domain: SettlementDomain = { chainId: chain.chainId, verifyingContract: chain.settlementAddress }
  const db = new Database(receiptsPath(home))
  db.pragma('journal_mode = WAL')
  // Another chat process may be writing its receipt: wait for it rather than fail.
  db.pragma('busy_timeout = 5000')
  const channels = new Map<string, Channel>()
  const keyOf = (payee: Address, token: Address) => `${getAddress(payee)}:${getAddress(token)}`
  const book = createReceiptBook({
    account,
    domain,
    budget: (payee, token) => channels.get(keyOf(payee, token))?.deposit ?? 0n,
    store: openChannelReceipts(db, domain),
  })
  const payable = (payment: CapabilityContent['payment'] | undefined) => channelTerms(payment, domain)
  const readChannel = async ({ payee, token }: { payee: Address; token: Address }) => {
    const channel = await getChannel(settlement, { address: chain.settlementAddress, payer: account.address, payee, token })
    channels.set(keyOf(payee, token), channel)
    return channel
  }
  const outcomes = new Map<string, { payee: Address; token: Address; creditLimit: bigint } | { reason: string }>()
  const issuer = receiptBookIssuer({ book, domain, epoch: (payee, token) => channels.get(keyOf(payee, token))?.epoch })

  return {
    chain,
    receipts: {
      async prepare(request) {
        const terms = payable(request.payment)
        if (!terms) return { ok: true }
        // The channel as read just before the job: its deposit is the budget, its epoch the receipts'.
        await readChannel(terms)
        return issuer.prepare!(request)
      },
      async issue(request) {
        const terms = payable(request.payment)
        if (!terms) return undefined
        // The channel as read just before the job: its deposit is the budget, its epoch the receipt's.
        if (!channels.has(keyOf(terms.payee, terms.token))) await readChannel(terms)
        try {
          // No voucher for a payable node: the job was paid ahead (prepaid receipt), which is paid all the same.
          const voucher = await issuer.issue(request)
          outcomes.set(request.node, terms)
          return voucher
        } catch (err) {
          // The SDK only logs a receipt it could not get; the footer has to say the job went unpaid, and why.
          outcomes.set(request.node, { reason: err instanceof ReceiptBudgetExceededError ? `it would bring what you owe this node to ${err.owed}, beyond your deposit of ${err.budget}: deposit more with \`infernet deposit\`` : (err as Error).message.split('\n')[0]! })
          throw err
        }
      },
    },
    outcome(node) {
      const last = outcomes.get(node)
      if (!last || 'reason' in last) return last && { paid: false, reason: last.reason }
      const channel = channels.get(keyOf(last.payee, last.token))!
      const latest = book.latest(last.payee, last.token)!
      const ahead = -book.balance(last.payee, last.token, channel.epoch)
      return { paid: true, payee: last.payee, token: last.token, cumulative: latest.cumulative, jobCount: latest.jobCount, deposit: channel.deposit, left: channel.deposit - latest.cumulative, prepaid: ahead > 0n ? ahead : 0n }
    },
    close: () => db.close(),
  }
}
