// The PaymentGate of a priced node, backed by the receipt wallet (node/wallet/receiptWallet.ts, nips/cpr.md):
// - authorize: a client is served while what it owes beyond its receipts, plus every job of it in flight at its worst
//   case, plus this job's worst case, stays within its credit (node/creditPolicy.ts: the credit limit, capped by the
//   channel's unspent deposit read on chain, and one shared allowance for all clients not known to pay yet);
// - settle: records what the finished job is due (per job id, and in the wallet's ledger); release: a job that ended
//   without a result stops counting;
// - acceptReceipt: decrypts a kind-3833 event (direct frame or relay), checks that its author was served the job(s) it
//   pays, and lets the wallet run every check of nips/cpr.md with their amount due. A receipt may cover several jobs
//   (its `jobs` list names those its jobsHash chains since our newest receipt), so one lost receipt does not stop the
//   channel; one refused only because the chain could not be read is queued and tried again until the chain answers.
// A Nostr x-only key does not determine an Ethereum address, so the payer address of a client is learned from its
// first accepted receipt; until then its debt is kept in the payment ledger and moved to the wallet's then. The
// ledger (node/paymentLedger.ts) is persistent, so a node killed between a result and its receipt still accepts it.
import type { Address } from 'viem'
import { silentLogger, type Logger } from '../src/log.ts'
import type { NostrEvent } from '../src/protocol/event.ts'
import { isFree } from '../src/protocol/price.ts'
import type { Channel } from '../src/payments/contract.ts'
import { decryptReceiptEvent, parseReceiptEvent } from '../src/protocol/receipt.ts'
import { claimedDomainFromJson, coveredJobsFromJson, receiptFromJson, type SignedReceipt } from '../src/payments/voucher.ts'
import type { Signer } from '../src/signer.ts'
import { decideCredit } from './creditPolicy.ts'
import type { GateDecision, PaymentGate } from './paymentGate.ts'
import { openPaymentLedger, type PaymentLedger } from './paymentLedger.ts'
import { createRetryQueue } from './retryQueue.ts'
import type { ReceiptWallet } from './wallet/receiptWallet.ts'
import { createKeyedSerial } from '../src/keyedSerial.ts'

export type WalletPaymentGateParameters = {
  wallet: ReceiptWallet
  /** The node's signer: receipts are encrypted to it. */
  signer: Signer
  /** Token the node is paid in (zero address = native coin). */
  token: Address
  /** Most one payer may owe beyond its receipts, in flight included (base units). 0: serve only what prepaid receipts cover. */
  creditLimit: bigint
  /** Most all clients without an accepted receipt may owe together (default: creditLimit). */
  newClientCredit?: bigint | undefined
  /** How long a deposit read on chain is trusted before it is read again, in ms (default 10 s). */
  depositMaxAgeMs?: number | undefined
  now?: (() => number) | undefined
  logger?: Logger | undefined
  /** Most unpaid jobs remembered (oldest forgotten first). */
  maxUnpaidJobs?: number | undefined
  /** Where jobs due, payer addresses and pending debt persist (default: in memory, lost on restart). */
  ledger?: PaymentLedger | undefined
  /** Receipts refused `chain-unavailable` are tried again after this many ms, doubling up to 30 s (default 1000). */
  chainRetryMs?: number | undefined
}

export function createWalletPaymentGate({
  wallet,
  signer,
  token,
  creditLimit,
  newClientCredit = creditLimit,
  depositMaxAgeMs = 10_000,
  now = Date.now,
  logger = silentLogger,
  maxUnpaidJobs = 100_000,
  ledger = openPaymentLedger(':memory:', { maxDueJobs: maxUnpaidJobs }),
  chainRetryMs = 1000,
}: WalletPaymentGateParameters): PaymentGate & {
  /** The payer address learned for a client, if any. */
  payerOf(client: string): Address | undefined
  /** What the node has at stake now: served and unpaid, plus the worst case of every job in flight (for tests and status). */
  exposure(): { unpaid: bigint; inflight: bigint }
  /** Receipts waiting for the chain to answer. */
  queued(): number
  /** Stops retrying queued receipts. */
  close(): void
} {
  const refuse = (reason: string): GateDecision => ({ ok: false, reason })
  const terms = { creditLimit, newClientCredit }
  /** Authorized jobs not yet settled or released, at their worst case. At most slots + queue entries. */
  const reservations = new Map<string, { client: string; amount: bigint }>()
  const inflightOf = (match: (client: string) => boolean) => {
    let sum = 0n
    for (const r of reservations.values()) if (match(r.client)) sum += r.amount
    return sum
  }
  /** Channels read on chain, per payer: reused for depositMaxAgeMs, and kept (stale) for when the chain is down. */
  const channels = new Map<Address, { channel: Channel; readAt: number }>()
  async function unspentDeposit(payer: Address): Promise<bigint | undefined> {
    const cached = channels.get(payer)
    if (!cached || now() - cached.readAt > depositMaxAgeMs) {
      try {
        channels.set(payer, { channel: await wallet.readChannel(payer, token), readAt: now() })
      } catch (err) {
        logger.warn('cannot read a payer\'s deposit; using the last one read', { payer, error: (err as Error).message.split('\n')[0] })
      }
    }
    const c = channels.get(payer)?.channel
    if (!c) return undefined
    // A payer that asked to withdraw can no longer pay by receipt (the wallet refuses them): no credit.
    if (c.withdrawAt !== 0) return 0n
    const spent = wallet.get(payer, token)
    return c.deposit - (spent && spent.epoch === c.epoch ? spent.cumulative : 0n)
  }
  // Receipts that came too early: relays return stored events newest first, so after a restart receipt n+1 can
  // arrive before receipt n and fail the "increment equals the job's price" rule. They wait here (a few per
  // client) and are tried again after the next receipt of that client is accepted.
  const early = new Map<string, NostrEvent[]>()
  const maxEarlyPerClient = 64
  // A client sends each receipt twice, as a direct frame and as a kind-3833 copy through relays (nips/client.md):
  // the copy (the same event id) shares the decision on the first instead of being checked against the receipt it
  // is a copy of, which refused it `not-increasing` and logged a refusal for every payment. Only accepted receipts
  // are remembered, so one refused (chain unreachable, say) is checked again when it is sent again.
  const copies = new Map<string, Promise<GateDecision>>()
  const maxCopies = 4096
  function acceptOnce(event: NostrEvent): Promise<GateDecision> {
    const first = copies.get(event.id)
    if (first) return first.then((d) => (logger.debug('copy of a receipt already decided', { id: event.id.slice(0, 12), ok: d.ok }), d))
    const decision = accept(event)
    copies.set(event.id, decision)
    if (copies.size > maxCopies) copies.delete(copies.keys().next().value!)
    void decision.then(
      (d) => void (d.ok || copies.delete(event.id)),
      () => void copies.delete(event.id),
    )
    return decision
  }

  async function retryEarly(client: string): Promise<void> {
    let progress = true
    while (progress) {
      progress = false
      const waiting = early.get(client) ?? []
      early.delete(client)
      for (const event of waiting) {
        // Already in this client's turn (the accepted receipt's): checked now, not queued behind it.
        const decision = await acceptNow(event, false, true)
        if (decision.ok) progress = true
      }
    }
  }

  // Receipts refused only because the chain could not be read: kept in arrival order and tried again until it answers.
  const chainQueue = createRetryQueue<NostrEvent>({
    key: (event) => event.id,
    minMs: chainRetryMs,
    logger,
    attempt: async (event) => {
      const decision = await accept(event, true, false)
      return !decision.ok && decision.reason.startsWith('chain-unavailable') ? 'retry' : 'done'
    },
  })

  // One receipt of a client at a time. Which jobs a receipt covers is read from the client's newest accepted
  // receipt, and the wallet checks the increment against the newest it holds when it gets there: two receipts
  // checked at once both read the one before them, the later is refused wrong-increment just after the earlier is
  // accepted, and nothing tries it again (seen in e2e/withdrawal.test.ts).
  const clientTurn = createKeyedSerial()
  const accept = (event: NostrEvent, retry = true, queue = true): Promise<GateDecision> => clientTurn(event.pubkey, () => acceptNow(event, retry, queue))

  async function acceptNow(event: NostrEvent, retry: boolean, queue: boolean): Promise<GateDecision> {
    const parsed = parseReceiptEvent(event)
    if (!parsed.ok) return refuse(parsed.reason)
    if (parsed.data.node !== signer.pubkey) return refuse('invalid: receipt is addressed to another node')
    const job = parsed.data.job
    const client = parsed.data.client
    // Without an "e" tag the receipt is prepaid: it pays ahead for jobs to come, any amount within the deposit.
    const entry = job ? ledger.getDue(job) : undefined
    if (job && !entry) return refuse(`unknown job ${job.slice(0, 12)}…: nothing is due for it`)
    if (entry && entry.client !== client) return refuse('invalid: receipt author is not the job author')
    const voucher = await decryptReceiptEvent(event, signer)
    if (!voucher.ok) return refuse(voucher.reason)
    let receipt: SignedReceipt
    try {
      receipt = receiptFromJson(voucher.data)
    } catch (err) {
      return refuse(`malformed: ${(err as Error).message}`)
    }
    const known = ledger.payerOf(client)
    if (known && known !== receipt.payer) return refuse(`invalid: this client pays from ${known}, the receipt names ${receipt.payer}`)
    let listed: string[] | undefined
    try {
      listed = coveredJobsFromJson(voucher.data)
    } catch (err) {
      return refuse(`malformed: ${(err as Error).message}`)
    }
    // Which jobs it pays: its jobCount says how many since our newest receipt; beyond one, its `jobs` list names them.
    const stored = wallet.get(receipt.payer, token)
    const since = receipt.jobCount - (stored && stored.epoch === receipt.epoch ? stored.jobCount : 0n)
    let covered = job ? [job] : undefined
    let amountDue = entry?.amount
    if (job && since > 1n && listed && BigInt(listed.length) >= since) {
      covered = listed.slice(-Number(since))
      if (covered.at(-1) !== job) return refuse('bad-jobs-hash: the last job in "jobs" is not the one the "e" tag names')
      amountDue = 0n
      for (const id of covered) {
        const due = ledger.getDue(id)
        if (!due || due.client !== client) return refuse(`unknown job ${id.slice(0, 12)}…: the receipt covers it, but nothing is due for it from this client`)
        amountDue += due.amount
      }
    }
    const result = await wallet.accept(receipt, { amountDue, jobIds: covered, claimedDomain: claimedDomainFromJson(voucher.data) })
    const what = job ? job.slice(0, 12) : 'prepaid'
    if (!result.ok) {
      if (result.code === 'chain-unavailable' && queue) {
        const kept = chainQueue.add(event)
        logger.info('receipt queued until the chain answers', { job: what, kept })
        return refuse(`chain-unavailable: ${result.reason}; ${kept ? 'the receipt is queued and checked again when the chain answers' : 'the queue is full: send it again later'}`)
      }
      if (result.code === 'wrong-increment' && receipt.cumulative > 0n) {
        const waiting = early.get(client) ?? []
        if (waiting.length < maxEarlyPerClient && !waiting.some((e) => e.id === event.id)) early.set(client, [...waiting, event])
      }
      logger.info('receipt refused', { job: what, code: result.code })
      return refuse(`${result.code}: ${result.reason}`)
    }
    for (const id of covered ?? []) ledger.deleteDue(id)
    if (!known) {
      ledger.setPayer(client, receipt.payer)
      const owed = ledger.takePending(client)
      if (owed > 0n) wallet.recordOwed(receipt.payer, token, owed)
    }
    logger.info('receipt accepted', { job: what, cumulative: receipt.cumulative.toString(), jobs: String(covered?.length ?? 0) })
    if (retry && early.has(client)) await retryEarly(client)
    // The chain answered: what waits for it need not wait for the timer.
    if (queue && chainQueue.size() > 0) void chainQueue.kick()
    return { ok: true }
  }

  return {
    payerOf: (client) => ledger.payerOf(client),
    queued: () => chainQueue.size(),
    close: () => chainQueue.close(),
    exposure() {
      // A payer is known from an accepted receipt, so every known payer has one in the wallet.
      let unpaid = ledger.pendingTotal()
      for (const receipt of wallet.list()) if (receipt.token === token) unpaid += wallet.unpaid(receipt.payer, token)
      return { unpaid, inflight: inflightOf(() => true) }
    },
    async authorize(client, job, quote) {
      if (isFree(quote.price) || quote.worstCase <= 0n) return { ok: true }
      const payer = ledger.payerOf(client)
      // The only await: what follows checks and reserves in one turn, so concurrent jobs see each other.
      const unspent = payer ? await unspentDeposit(payer) : undefined
      const decision = payer
        ? decideCredit({ kind: 'payer', balance: wallet.balance(payer, token), inflight: inflightOf((c) => c === client || ledger.payerOf(c) === payer), unspentDeposit: unspent }, quote.worstCase, terms)
        : decideCredit({ kind: 'new', owed: ledger.pending(client), inflight: inflightOf((c) => c === client), poolUsed: ledger.pendingTotal() + inflightOf((c) => !ledger.payerOf(c)) }, quote.worstCase, terms)
      if (decision.ok) reservations.set(job, { client, amount: quote.worstCase })
      return decision
    },
    release(_client, job) {
      reservations.delete(job)
    },
    async settle(client, job, amount) {
      reservations.delete(job)
      if (amount === 0n) return
      ledger.setDue(job, client, amount)
      const payer = ledger.payerOf(client)
      if (payer) wallet.recordOwed(payer, token, amount)
      else ledger.addPending(client, amount)
    },
    acceptReceipt: (event: NostrEvent) => acceptOnce(event),
  }
}
