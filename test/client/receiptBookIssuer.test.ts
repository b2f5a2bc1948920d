// When the SDK's receipt issuer pays after the job (the node's credit holds its worst case) and when it pays ahead
// (a node that serves only prepaid work), and that work paid ahead is used by later jobs rather than paid twice.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { zeroAddress, type Address } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { createReceiptBook } from '../../client/payments/receiptBook.ts'
import { receiptBookIssuer } from '../../client/receiptBookIssuer.ts'
import type { ReceiptRequest } from '../../client/receipts.ts'
import { receiptFromJson, type SettlementDomain } from '../../src/payments/voucher.ts'

const payer = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')
const payee = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as Address
const domain: SettlementDomain = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' }
const terms = (creditLimit: string): ReceiptRequest['payment'] => ({
  chainId: domain.chainId,
  contract: domain.verifyingContract,
  token: zeroAddress,
  payee,
  payeeProof: `0x${'00'.repeat(65)}`,
  creditLimit,
})
const job = (n: number) => n.toString(16).padStart(64, '0')

test('postpaid while the credit holds the worst case; over the budget the job is refused', async () => {
  const book = createReceiptBook({ account: payer, domain, budget: 1_000n })
  const issuer = receiptBookIssuer({ book, domain })
  const payment = terms('500')
  assert.deepEqual(await issuer.prepare!({ node: 'n', payment, worstCase: 400n }), { ok: true })
  const voucher = await issuer.issue({ node: 'n', job: job(1), amount: 300n, cumulative: 300n, payment })
  assert.equal(receiptFromJson(voucher).cumulative, 300n)
  assert.deepEqual(await issuer.prepare!({ node: 'n', payment, worstCase: 701n }), { ok: false, available: 700n })
})

test('credit limit 0: paid ahead by the worst case, later jobs use what is left before paying again', async () => {
  const book = createReceiptBook({ account: payer, domain, budget: 10_000n })
  const issuer = receiptBookIssuer({ book, domain })
  const payment = terms('0')
  const first = await issuer.prepare!({ node: 'n', payment, worstCase: 1_000n })
  assert.ok(first.ok && first.prepaid)
  const prepaid = receiptFromJson(first.prepaid)
  assert.equal(prepaid.cumulative, 1_000n)
  assert.equal(prepaid.jobCount, 0n, 'a prepaid receipt names no job')
  assert.equal(await issuer.issue({ node: 'n', job: job(1), amount: 300n, cumulative: 300n, payment }), undefined, 'paid ahead: no receipt after the job')
  assert.equal(book.balance(payee), -700n)
  // 700 is still paid ahead: a job whose worst case fits needs nothing more.
  assert.deepEqual(await issuer.prepare!({ node: 'n', payment, worstCase: 700n }), { ok: true })
  await issuer.issue({ node: 'n', job: job(2), amount: 200n, cumulative: 500n, payment })
  // 500 left ahead, worst case 1 200: pay the 700 more it may cost.
  const third = await issuer.prepare!({ node: 'n', payment, worstCase: 1_200n })
  assert.ok(third.ok && third.prepaid)
  assert.equal(receiptFromJson(third.prepaid).cumulative, 1_700n)
  assert.deepEqual(await issuer.prepare!({ node: 'n', payment, worstCase: 10_000n }), { ok: false, available: 8_300n })
})
