// Node side on a real dev chain: the receipt wallet's checks, payout (batched) and watchWithdrawals; and the
// client's receipt book feeding it.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { keccak256, toHex, zeroAddress } from 'viem'
import { createReceiptBook } from '../../client/payments/receiptBook.ts'
import { createReceiptWallet } from '../../node/wallet/receiptWallet.ts'
import type { ReceiptWallet } from '../../node/wallet/receiptWallet.ts'
import { payout } from '../../node/payout/payout.ts'
import { watchWithdrawals } from '../../node/payout/watchWithdrawals.ts'
import { createSettlementClient } from '../../src/payments/clients.ts'
import { deposit, getChannel, requestWithdraw } from '../../src/payments/contract.ts'
import { ReceiptBudgetExceededError } from '../../src/payments/errors.ts'
import { signReceipt } from '../../src/payments/voucher.ts'
import { startTestChain } from './chain.ts'
import type { Actor, TestChain } from './chain.ts'

let chain: TestChain
let node: Actor
let dir: string
let wallet: ReceiptWallet

before(async () => {
  chain = await startTestChain()
  node = await chain.actor()
  dir = mkdtempSync(join(tmpdir(), 'infernet-wallet-'))
  wallet = createReceiptWallet({ path: join(dir, 'wallet.sqlite'), payee: node.address, domain: chain.domain, client: node.client, creditLimit: 500n })
})
after(async () => {
  wallet?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
  await chain?.stop()
})

const jobId = (s: string) => keccak256(toHex(s))

test('wallet: refuses bad signature, wrong payee, other chain/contract, decreasing, wrong increment, beyond deposit; keeps the newest valid', async () => {
  const payer = await chain.actor()
  await deposit(payer.client, { address: chain.settlement, payee: node.address, amount: 1_000n })
  const book = createReceiptBook({ account: payer.account, domain: chain.domain, budget: 10_000n })
  const r1 = await book.pay({ payee: node.address, jobId: jobId('a'), amount: 100n })
  assert.deepEqual(await wallet.accept(r1, { amountDue: 100n, jobId: jobId('a') }), { ok: true, receipt: r1, increment: 100n })
  const r2 = await book.pay({ payee: node.address, jobId: jobId('b'), amount: 50n })

  const refused = async (receipt: typeof r1, amountDue: bigint, code: string, extra: Record<string, unknown> = {}) => {
    const res = await wallet.accept(receipt, { amountDue, ...extra })
    assert.equal(res.ok, false, `expected refusal ${code}`)
    assert.equal((res as { code: string }).code, code, (res as { reason: string }).reason)
    assert.ok((res as { reason: string }).reason.length > 5)
  }
  await refused({ ...r2, cumulative: 160n }, 60n, 'bad-signature')
  const other = await chain.actor()
  await refused(await signReceipt(payer.account, { ...r2, payee: other.address }, chain.domain), 50n, 'wrong-payee')
  await refused(await signReceipt(payer.account, r2, { ...chain.domain, chainId: 1 }), 50n, 'bad-signature')
  await refused(r2, 50n, 'wrong-domain', { claimedDomain: { chainId: 1 } })
  await refused(r2, 50n, 'wrong-domain', { claimedDomain: { verifyingContract: other.address } })
  await refused(r2, 49n, 'wrong-increment')
  await refused(r2, 50n, 'bad-jobs-hash', { jobId: jobId('zzz') })
  await refused(r1, 100n, 'not-increasing')
  assert.equal(wallet.get(payer.address, zeroAddress)?.cumulative, 100n)
  assert.equal((await wallet.accept(r2, { amountDue: 50n, jobId: jobId('b') })).ok, true)
  const big = await book.pay({ payee: node.address, jobId: jobId('c'), amount: 900n })
  await refused(big, 900n, 'beyond-deposit')
  assert.equal(wallet.get(payer.address, zeroAddress)?.cumulative, 150n)
  // Credit: the node records what it served; unpaid = owed - newest receipt.
  wallet.recordOwed(payer.address, zeroAddress, 150n + 400n)
  assert.equal(wallet.unpaid(payer.address, zeroAddress), 400n)
  assert.deepEqual(wallet.withinCredit(payer.address, zeroAddress, 100n), { ok: true, unpaid: 400n, limit: 500n })
  assert.equal(wallet.withinCredit(payer.address, zeroAddress, 101n).ok, false)
})

test('wallet: pending withdrawal and stale epoch refused; RPC down refused with reason, nothing stored', async () => {
  const payer = await chain.actor()
  await deposit(payer.client, { address: chain.settlement, payee: node.address, amount: 1_000n })
  const book = createReceiptBook({ account: payer.account, domain: chain.domain, budget: 10_000n })
  const r1 = await book.pay({ payee: node.address, jobId: jobId('w1'), amount: 10n })
  const down = createReceiptWallet({ path: ':memory:', payee: node.address, domain: chain.domain, client: createSettlementClient({ chainRpc: 'http://127.0.0.1:9', chainId: chain.anvil.chainId, rpcTimeoutMs: 1_000 }) })
  const res = await down.accept(r1, { amountDue: 10n })
  assert.equal(res.ok, false)
  assert.equal((res as { code: string }).code, 'chain-unavailable')
  assert.equal(down.list().length, 0)
  down.close()
  await refusedStale()
  async function refusedStale() {
    const stale = await signReceipt(payer.account, { ...r1, epoch: 1 }, chain.domain)
    assert.equal(((await wallet.accept(stale, { amountDue: 10n })) as { code: string }).code, 'stale-epoch')
  }
  await requestWithdraw(payer.client, { address: chain.settlement, payee: node.address })
  assert.equal(((await wallet.accept(r1, { amountDue: 10n })) as { code: string }).code, 'withdrawal-pending')
})

test('receipt book: never signs beyond the budget', async () => {
  const payer = await chain.actor()
  const book = createReceiptBook({ account: payer.account, domain: chain.domain, budget: 100n })
  await book.pay({ payee: node.address, jobId: jobId('x'), amount: 60n })
  await assert.rejects(book.pay({ payee: node.address, jobId: jobId('y'), amount: 41n }), ReceiptBudgetExceededError)
  assert.equal(book.owed(node.address), 60n)
  const r = await book.pay({ payee: node.address, jobId: jobId('y'), amount: 40n })
  assert.equal(r.cumulative, 100n)
  assert.equal(r.jobCount, 2n)
})

test('payout: dry run then one redeemBatch for all payers; watchWithdrawals redeems before the payer leaves', async () => {
  const payee = await chain.actor()
  const w = createReceiptWallet({ path: join(dir, 'payout.sqlite'), payee: payee.address, domain: chain.domain, client: payee.client })
  try {
    const payers = await Promise.all([1, 2, 3].map(() => chain.actor()))
    let expected = 0n
    for (const [i, p] of payers.entries()) {
      await deposit(p.client, { address: chain.settlement, payee: payee.address, amount: 10_000n })
      const book = createReceiptBook({ account: p.account, domain: chain.domain, budget: 10_000n })
      for (let j = 0; j < 5; j++) {
        const amount = BigInt(10 * (i + 1) + j)
        expected += amount
        const r = await book.pay({ payee: payee.address, jobId: jobId(`${i}-${j}`), amount })
        assert.equal((await w.accept(r, { amountDue: amount, jobId: jobId(`${i}-${j}`) })).ok, true)
      }
    }
    const dry = await payout({ client: payee.client, address: chain.settlement, payee: payee.address, wallet: w, dryRun: true })
    assert.equal(dry.totals[0]!.amount, expected)
    assert.equal(dry.totals[0]!.transactions.length, 0)
    assert.ok(dry.rows.every((r) => r.status === 'ready' && r.gas! > 0n))
    const before = await chain.balanceOf(zeroAddress, payee.address)
    const real = await payout({ client: payee.client, address: chain.settlement, payee: payee.address, wallet: w })
    assert.equal(real.totals[0]!.amount, expected)
    assert.equal(real.totals[0]!.transactions.length, 1)
    const gasPrice = (await payee.client.publicClient.getTransactionReceipt({ hash: real.totals[0]!.transactions[0]! })).effectiveGasPrice
    assert.equal((await chain.balanceOf(zeroAddress, payee.address)) - before + real.totals[0]!.gas * gasPrice, expected)
    const again = await payout({ client: payee.client, address: chain.settlement, payee: payee.address, wallet: w })
    assert.ok(again.rows.every((r) => r.status === 'nothing'))

    // A payer with an unredeemed receipt requests a withdrawal: the watcher redeems at once.
    const leaver = await chain.actor()
    await deposit(leaver.client, { address: chain.settlement, payee: payee.address, amount: 1_000n })
    const r = await createReceiptBook({ account: leaver.account, domain: chain.domain, budget: 1_000n }).pay({ payee: payee.address, jobId: jobId('leave'), amount: 77n })
    assert.equal((await w.accept(r, { amountDue: 77n })).ok, true)
    const redeemed = new Promise<{ amount?: bigint | undefined; error?: string | undefined }>((resolve) => {
      const stop = watchWithdrawals({ client: payee.client, address: chain.settlement, payee: payee.address, wallet: w, pollMs: 50, onRedeem: (e) => (stop(), resolve(e)) })
    })
    await requestWithdraw(leaver.client, { address: chain.settlement, payee: payee.address })
    const event = await redeemed
    assert.equal(event.error, undefined)
    assert.equal(event.amount, 77n)
    assert.equal((await getChannel(payee.client, { address: chain.settlement, payer: leaver.address, payee: payee.address })).claimed, 77n)
  } finally {
    w.close()
  }
})
