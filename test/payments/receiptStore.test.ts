// The receipt store (the gateway's and the CLI's) is keyed by chain and contract: a receipt from an earlier dev chain
// under the same home is not continued (nor shown) on a new one, and the gateway's first layout's rows move only
// where their signature verifies for the configured domain. Two processes sharing one store continue one sequence.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import Database from 'better-sqlite3'
import type { Address } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { createReceiptBook } from '../../client/payments/receiptBook.ts'
import { migrateLegacyReceipts, openChannelReceipts } from '../../src/payments/receiptStore.ts'
import { initialReceipt, nextReceipt, receiptToJson, signReceipt, type SettlementDomain } from '../../src/payments/voucher.ts'
import { tempDir } from '../helpers/coordinator.ts'

const payer = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')
const payee = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as Address
const token = '0x0000000000000000000000000000000000000000' as Address
const oldChain: SettlementDomain = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' }
const newChain: SettlementDomain = { chainId: 31337, verifyingContract: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512' }

const signed = (domain: SettlementDomain, amount: bigint) =>
  signReceipt(payer, nextReceipt(initialReceipt({ payer: payer.address, payee, token, epoch: 0 }), { jobId: '11'.repeat(32), amount }), domain)

test('a receipt signed on one chain and contract is not continued on another', async (t) => {
  const dir = tempDir('infernet-gw-receipts-')
  t.after(() => dir.remove())
  const db = new Database(join(dir.path, 'gateway-receipts.sqlite'))
  t.after(() => db.close())
  const before = openChannelReceipts(db, oldChain)
  assert.ok(before.save({ receipt: await signed(oldChain, 18_000n), jobs: [], served: 18_000n }, undefined))
  assert.equal(before.load(payee, token)?.receipt.cumulative, 18_000n)
  // A new dev chain deploys the contract at another address: its channel starts from nothing.
  assert.equal(openChannelReceipts(db, newChain).load(payee, token), undefined)
  assert.equal(openChannelReceipts(db, { ...oldChain, chainId: 1 }).load(payee, token), undefined)
})

test("the first layout's receipts move only where their signature verifies for the configured contract", async (t) => {
  const dir = tempDir('infernet-gw-receipts-')
  t.after(() => dir.remove())
  const db = new Database(join(dir.path, 'gateway-receipts.sqlite'))
  t.after(() => db.close())
  db.exec('CREATE TABLE receipts (payee TEXT NOT NULL, token TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (payee, token))')
  const insert = db.prepare('INSERT INTO receipts (payee, token, json) VALUES (?, ?, ?)')
  insert.run(payee.toLowerCase(), token, JSON.stringify(receiptToJson(await signed(oldChain, 5_000n))))
  const other = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC' as Address
  const forOther = await signReceipt(payer, nextReceipt(initialReceipt({ payer: payer.address, payee: other, token, epoch: 0 }), { jobId: '22'.repeat(32), amount: 7n }), oldChain)
  insert.run(other.toLowerCase(), token, JSON.stringify(receiptToJson(forOther)))

  assert.deepEqual(await migrateLegacyReceipts(db, newChain), { moved: 0, dropped: 2 }, 'signed for another contract: dropped')
  assert.equal(openChannelReceipts(db, newChain).load(payee, token), undefined)

  db.exec('CREATE TABLE receipts (payee TEXT NOT NULL, token TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (payee, token))')
  insert.run(payee.toLowerCase(), token, JSON.stringify(receiptToJson(await signed(oldChain, 5_000n))))
  assert.deepEqual(await migrateLegacyReceipts(db, oldChain), { moved: 1, dropped: 0 }, 'the same deployment restarted keeps its cumulative')
  assert.equal(openChannelReceipts(db, oldChain).load(payee, token)?.receipt.cumulative, 5_000n)
  assert.deepEqual(await migrateLegacyReceipts(db, oldChain), { moved: 0, dropped: 0 }, 'once only')
})

test('two books on one store (two processes sharing a home) continue one cumulative sequence, jobs chained', async (t) => {
  const dir = tempDir('infernet-receipts-')
  t.after(() => dir.remove())
  const path = join(dir.path, 'receipts.sqlite')
  // Two connections to one file, as two `infernet chat` processes under one INFERNET_HOME have.
  const dbs = [new Database(path), new Database(path)]
  t.after(() => dbs.forEach((db) => db.close()))
  const books = dbs.map((db) => createReceiptBook({ account: payer, domain: oldChain, budget: 10_000n, store: openChannelReceipts(db, oldChain) }))
  const jobs = Array.from({ length: 6 }, (_, i) => `${i}`.repeat(64))
  // Each book read the channel before the other wrote: every second pay finds the row changed and builds on it.
  for (const [i, jobId] of jobs.entries()) await books[i % 2]!.pay({ payee, jobId, amount: 100n })
  const stored = openChannelReceipts(dbs[0]!, oldChain).load(payee, token)!
  assert.equal(stored.receipt.cumulative, 600n)
  assert.equal(stored.receipt.jobCount, 6n)
  assert.deepEqual(stored.jobs, jobs, 'the jobs the receipt chains survive the process that signed them')
  assert.equal(books[1]!.latest(payee)?.cumulative, 600n)

  // Two pays at once from the two books: one wins the swap, the other signs again on top of it.
  await Promise.all([books[0]!.pay({ payee, jobId: 'a'.repeat(64), amount: 5n }), books[1]!.pay({ payee, jobId: 'b'.repeat(64), amount: 7n })])
  const after = openChannelReceipts(dbs[1]!, oldChain).load(payee, token)!
  assert.equal(after.receipt.cumulative, 612n)
  assert.equal(after.receipt.jobCount, 8n)
  await assert.rejects(books[0]!.pay({ payee, jobId: 'c'.repeat(64), amount: 9_389n }), { name: 'ReceiptBudgetExceededError' })
})
