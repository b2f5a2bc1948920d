// The node's receipt wallet: the newest valid CPR per (payer, token), in SQLite (WAL). `accept` runs every check
// of nips/cpr.md ("Checks a node runs") and persists the receipt BEFORE it returns ok, so the daemon may serve
// the work only after `accept` resolved. It also keeps what each payer owes (`recordOwed`) for the credit limit.
import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { getAddress } from 'viem'
import type { Address, Hex } from 'viem'
import { silentLogger } from '../../src/log.ts'
import type { Logger } from '../../src/log.ts'
import type { SettlementClient } from '../../src/payments/clients.ts'
import { getChannel } from '../../src/payments/contract.ts'
import type { Channel } from '../../src/payments/contract.ts'
import { chainJobsHash, checkReceiptShape, verifyReceipt } from '../../src/payments/voucher.ts'
import type { SettlementDomain, SignedReceipt } from '../../src/payments/voucher.ts'

export type RefuseCode =
  | 'malformed'
  | 'bad-signature'
  | 'wrong-payee'
  | 'wrong-domain'
  | 'wrong-token'
  | 'stale-epoch'
  | 'not-increasing'
  | 'wrong-increment'
  | 'bad-jobs-hash'
  | 'beyond-deposit'
  | 'withdrawal-pending'
  | 'chain-unavailable'

export type AcceptResult = { ok: true; receipt: SignedReceipt; increment: bigint } | { ok: false; code: RefuseCode; reason: string }

export type AcceptParameters = {
  /**
   * What this receipt must add: the amount due for the job(s) it pays (see amountDue in src/protocol/price.ts).
   * Undefined for a prepaid receipt (nips/cpr.md, "When clients send receipts"): any positive increment.
   */
  amountDue: bigint | undefined
  /** The job request id it pays for; when given, jobsHash must chain it onto the stored receipt's. */
  jobId?: Hex | string | undefined
  /** The job ids it pays for, oldest first (a receipt covering several jobs); takes precedence over `jobId`. */
  jobIds?: readonly (Hex | string)[] | undefined
  /** The domain the receipt says it was signed for (receipt JSON `chainId`/`contract`), to name a mismatch. */
  claimedDomain?: Partial<SettlementDomain> | undefined
}

export type ReceiptWalletParameters = {
  /** SQLite file, or ':memory:'. */
  path: string
  /** Our payout address: receipts must name it. */
  payee: Address
  domain: SettlementDomain
  client: SettlementClient
  /** Tokens we accept (address(0) = native). Default: any. */
  tokens?: readonly Address[] | undefined
  /** Unpaid amount tolerated per payer, in base units; a function allows per-payer limits. */
  creditLimit?: bigint | ((payer: Address, token: Address) => bigint) | undefined
  logger?: Logger | undefined
  now?: (() => number) | undefined
}

export type StoredReceipt = SignedReceipt & { updatedAt: number }

export type ReceiptWallet = {
  accept(receipt: SignedReceipt, parameters: AcceptParameters): Promise<AcceptResult>
  get(payer: Address, token: Address): StoredReceipt | undefined
  list(): StoredReceipt[]
  /** Adds to what `payer` owes us (call when a result is delivered). */
  recordOwed(payer: Address, token: Address, amount: bigint): void
  /** Owed minus the newest receipt's cumulative, never below 0. */
  unpaid(payer: Address, token: Address): bigint
  /** Owed minus the newest receipt's cumulative; negative when receipts run ahead of the work (prepaid). */
  balance(payer: Address, token: Address): bigint
  /** The (payer, us, token) channel on chain now; throws ChainUnavailableError when the chain cannot be read. */
  readChannel(payer: Address, token: Address): Promise<Channel>
  /** Whether serving `extra` more keeps the payer within its credit limit. */
  withinCredit(payer: Address, token: Address, extra?: bigint): { ok: boolean; unpaid: bigint; limit: bigint }
  close(): void
}

export function receiptWalletPath(home: string): string {
  return join(home, 'wallet.sqlite')
}

type Row = { payer: string; token: string; epoch: number; cumulative: string; job_count: string; jobs_hash: string; signature: string; updated_at: number }

function fromRow(r: Row): StoredReceipt {
  return {
    payer: r.payer as Address,
    payee: '0x' as Address, // filled by the caller
    token: r.token as Address,
    epoch: r.epoch,
    cumulative: BigInt(r.cumulative),
    jobCount: BigInt(r.job_count),
    jobsHash: r.jobs_hash as Hex,
    signature: r.signature as Hex,
    updatedAt: r.updated_at,
  }
}

export function createReceiptWallet({ path, payee, domain, client, tokens, creditLimit = 0n, logger = silentLogger, now = Date.now }: ReceiptWalletParameters): ReceiptWallet {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec(`
    CREATE TABLE IF NOT EXISTS receipts (
      payer TEXT NOT NULL, token TEXT NOT NULL, epoch INTEGER NOT NULL, cumulative TEXT NOT NULL,
      job_count TEXT NOT NULL, jobs_hash TEXT NOT NULL, signature TEXT NOT NULL, updated_at INTEGER NOT NULL,
      PRIMARY KEY (payer, token)
    );
    CREATE TABLE IF NOT EXISTS owed (
      payer TEXT NOT NULL, token TEXT NOT NULL, amount TEXT NOT NULL, PRIMARY KEY (payer, token)
    );
  `)
  const ourPayee = getAddress(payee)
  const ourContract = getAddress(domain.verifyingContract)
  const accepted = tokens ? new Set(tokens.map((t) => getAddress(t))) : undefined
  const selectOne = db.prepare<[string, string], Row>('SELECT * FROM receipts WHERE payer = ? AND token = ?')
  const selectAll = db.prepare<[], Row>('SELECT * FROM receipts ORDER BY payer, token')
  const upsert = db.prepare(
    `INSERT INTO receipts (payer, token, epoch, cumulative, job_count, jobs_hash, signature, updated_at)
     VALUES (@payer, @token, @epoch, @cumulative, @jobCount, @jobsHash, @signature, @updatedAt)
     ON CONFLICT (payer, token) DO UPDATE SET epoch = excluded.epoch, cumulative = excluded.cumulative,
       job_count = excluded.job_count, jobs_hash = excluded.jobs_hash, signature = excluded.signature, updated_at = excluded.updated_at`,
  )
  const selectOwed = db.prepare<[string, string], { amount: string }>('SELECT amount FROM owed WHERE payer = ? AND token = ?')
  const upsertOwed = db.prepare('INSERT INTO owed (payer, token, amount) VALUES (?, ?, ?) ON CONFLICT (payer, token) DO UPDATE SET amount = excluded.amount')
  /** Per-channel queue, so two receipts of one payer are checked and stored one after the other. */
  const queues = new Map<string, Promise<unknown>>()

  const get = (payer: Address, token: Address): StoredReceipt | undefined => {
    const row = selectOne.get(getAddress(payer), getAddress(token))
    return row ? { ...fromRow(row), payee: ourPayee } : undefined
  }
  const refuse = (code: RefuseCode, reason: string): AcceptResult => ({ ok: false, code, reason })

  async function check(receipt: SignedReceipt, { amountDue, jobId, jobIds, claimedDomain }: AcceptParameters): Promise<AcceptResult> {
    const shape = checkReceiptShape(receipt)
    if (shape) return refuse('malformed', shape)
    if (claimedDomain?.chainId !== undefined && claimedDomain.chainId !== domain.chainId) {
      return refuse('wrong-domain', `receipt is for chain ${claimedDomain.chainId}, we settle on chain ${domain.chainId}`)
    }
    if (claimedDomain?.verifyingContract !== undefined && getAddress(claimedDomain.verifyingContract) !== ourContract) {
      return refuse('wrong-domain', `receipt is for contract ${claimedDomain.verifyingContract}, we settle on ${ourContract}`)
    }
    if (getAddress(receipt.payee) !== ourPayee) return refuse('wrong-payee', `receipt pays ${receipt.payee}, not us (${ourPayee})`)
    const token = getAddress(receipt.token)
    if (accepted && !accepted.has(token)) return refuse('wrong-token', `token ${token} is not one we accept`)
    const sig = await verifyReceipt(receipt, domain)
    if (!sig.ok) return refuse('bad-signature', `${sig.reason} (for chain ${domain.chainId}, contract ${ourContract})`)
    let channel: Channel
    try {
      channel = await getChannel(client, { address: ourContract, payer: receipt.payer, payee: ourPayee, token })
    } catch (err) {
      return refuse('chain-unavailable', `could not read the channel on chain: ${(err as Error & { shortMessage?: string }).shortMessage ?? (err as Error).message}`)
    }
    if (receipt.epoch !== channel.epoch) return refuse('stale-epoch', `receipt epoch ${receipt.epoch}, channel epoch ${channel.epoch}`)
    if (channel.withdrawAt !== 0) return refuse('withdrawal-pending', `the payer requested a withdrawal (available at ${channel.withdrawAt})`)
    const stored = get(receipt.payer, token)
    const prev = stored && stored.epoch === receipt.epoch ? stored : undefined
    const prevCumulative = prev?.cumulative ?? 0n
    if (receipt.cumulative <= prevCumulative) return refuse('not-increasing', `cumulative ${receipt.cumulative} is not above the stored ${prevCumulative}`)
    const increment = receipt.cumulative - prevCumulative
    const ids = jobIds ?? (jobId !== undefined ? [jobId] : undefined)
    const what = ids && ids.length > 1 ? `the ${ids.length} jobs it covers are due` : 'the job is due'
    if (amountDue !== undefined && increment !== amountDue) return refuse('wrong-increment', `receipt adds ${increment}, ${what} ${amountDue}`)
    if (ids !== undefined) {
      const count = (prev?.jobCount ?? 0n) + BigInt(ids.length)
      if (receipt.jobCount !== count) return refuse('bad-jobs-hash', `jobCount ${receipt.jobCount} does not follow ${prev?.jobCount ?? 0n} by ${ids.length}`)
      let expected: Hex = prev?.jobsHash ?? `0x${'0'.repeat(64)}`
      try {
        for (const id of ids) expected = chainJobsHash(expected, id)
      } catch (err) {
        return refuse('malformed', (err as Error).message)
      }
      if (receipt.jobsHash.toLowerCase() !== expected) return refuse('bad-jobs-hash', `jobsHash does not chain job${ids.length > 1 ? 's' : ''} ${ids.join(', ')}`)
    }
    if (receipt.cumulative > channel.deposit) return refuse('beyond-deposit', `cumulative ${receipt.cumulative} exceeds the deposit ${channel.deposit}`)
    // Persist before answering ok: the node serves only what it can redeem.
    db.transaction(() => {
      const again = get(receipt.payer, token)
      if (again && again.epoch === receipt.epoch && again.cumulative >= receipt.cumulative) throw new Error('raced')
      upsert.run({ payer: getAddress(receipt.payer), token, epoch: receipt.epoch, cumulative: receipt.cumulative.toString(), jobCount: receipt.jobCount.toString(), jobsHash: receipt.jobsHash.toLowerCase(), signature: receipt.signature, updatedAt: now() })
      if (!prev && stored) upsertOwed.run(getAddress(receipt.payer), token, '0') // a new epoch starts a new ledger
    })()
    logger.debug('receipt accepted', { payer: receipt.payer, token, cumulative: receipt.cumulative.toString() })
    return { ok: true, receipt, increment }
  }

  const limitFor = (payer: Address, token: Address) => (typeof creditLimit === 'function' ? creditLimit(payer, token) : creditLimit)

  return {
    accept(receipt, parameters) {
      const key = `${String(receipt.payer).toLowerCase()}:${String(receipt.token).toLowerCase()}`
      const run = (queues.get(key) ?? Promise.resolve()).then(() => check(receipt, parameters))
      const tail = run.catch(() => undefined)
      queues.set(key, tail)
      void tail.then(() => {
        if (queues.get(key) === tail) queues.delete(key)
      })
      return run
    },
    get,
    list: () => selectAll.all().map((r) => ({ ...fromRow(r), payee: ourPayee })),
    recordOwed(payer, token, amount) {
      db.transaction(() => {
        const cur = BigInt(selectOwed.get(getAddress(payer), getAddress(token))?.amount ?? '0')
        upsertOwed.run(getAddress(payer), getAddress(token), (cur + amount).toString())
      })()
    },
    unpaid(payer, token) {
      const b = this.balance(payer, token)
      return b > 0n ? b : 0n
    },
    balance(payer, token) {
      const owed = BigInt(selectOwed.get(getAddress(payer), getAddress(token))?.amount ?? '0')
      return owed - (get(payer, token)?.cumulative ?? 0n)
    },
    readChannel: (payer, token) => getChannel(client, { address: ourContract, payer: getAddress(payer), payee: ourPayee, token: getAddress(token) }),
    withinCredit(payer, token, extra = 0n) {
      const unpaid = this.unpaid(payer, token)
      const limit = limitFor(getAddress(payer), getAddress(token))
      return { ok: unpaid + extra <= limit, unpaid, limit }
    },
    close: () => db.close(),
  }
}
