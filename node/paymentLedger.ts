// What a priced node must not forget across a restart, or it could never be paid for work it already did: which
// finished jobs are still due (and to whom), which payer address each client pays from, and the debt of clients
// whose payer address is not known yet. SQLite beside the receipt wallet; ':memory:' in tests.
import Database from 'better-sqlite3'
import type { Address } from 'viem'

export type PaymentLedger = {
  setDue(job: string, client: string, amount: bigint): void
  getDue(job: string): { client: string; amount: bigint } | undefined
  deleteDue(job: string): void
  payerOf(client: string): Address | undefined
  setPayer(client: string, payer: Address): void
  pending(client: string): bigint
  addPending(client: string, amount: bigint): void
  /** Removes and returns a client's pending debt. */
  takePending(client: string): bigint
  /** What all clients whose payer address is not known yet owe together (the new-client credit in use). */
  pendingTotal(): bigint
  close(): void
}

export function openPaymentLedger(path = ':memory:', { maxDueJobs = 100_000 }: { maxDueJobs?: number } = {}): PaymentLedger {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec(`
    CREATE TABLE IF NOT EXISTS due (seq INTEGER PRIMARY KEY AUTOINCREMENT, job TEXT NOT NULL UNIQUE, client TEXT NOT NULL, amount TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS payers (client TEXT PRIMARY KEY, payer TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS pending (client TEXT PRIMARY KEY, amount TEXT NOT NULL);
  `)
  const insertDue = db.prepare('INSERT OR REPLACE INTO due (job, client, amount) VALUES (?, ?, ?)')
  const trimDue = db.prepare('DELETE FROM due WHERE seq <= (SELECT MAX(seq) FROM due) - ?')
  const selectDue = db.prepare<[string], { client: string; amount: string }>('SELECT client, amount FROM due WHERE job = ?')
  const deleteDue = db.prepare('DELETE FROM due WHERE job = ?')
  const selectPayer = db.prepare<[string], { payer: string }>('SELECT payer FROM payers WHERE client = ?')
  const upsertPayer = db.prepare('INSERT OR REPLACE INTO payers (client, payer) VALUES (?, ?)')
  const selectPending = db.prepare<[string], { amount: string }>('SELECT amount FROM pending WHERE client = ?')
  const upsertPending = db.prepare('INSERT OR REPLACE INTO pending (client, amount) VALUES (?, ?)')
  const deletePending = db.prepare('DELETE FROM pending WHERE client = ?')
  const pending = (client: string) => BigInt(selectPending.get(client)?.amount ?? '0')
  // Kept in memory: the credit check reads it for every job of a new client.
  let total = db
    .prepare<[], { amount: string }>('SELECT amount FROM pending')
    .all()
    .reduce((sum, r) => sum + BigInt(r.amount), 0n)
  return {
    setDue(job, client, amount) {
      insertDue.run(job, client, amount.toString())
      // Oldest first: a client that never pays cannot grow this table without bound.
      trimDue.run(maxDueJobs)
    },
    getDue(job) {
      const row = selectDue.get(job)
      return row ? { client: row.client, amount: BigInt(row.amount) } : undefined
    },
    deleteDue: (job) => void deleteDue.run(job),
    payerOf: (client) => selectPayer.get(client)?.payer as Address | undefined,
    setPayer: (client, payer) => void upsertPayer.run(client, payer),
    pending,
    addPending(client, amount) {
      upsertPending.run(client, (pending(client) + amount).toString())
      total += amount
    },
    takePending(client) {
      const amount = pending(client)
      deletePending.run(client)
      total -= amount
      return amount
    },
    pendingTotal: () => total,
    close: () => db.close(),
  }
}
