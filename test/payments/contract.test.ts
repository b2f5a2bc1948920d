// The settlement contract on a real dev chain: the happy path and each attack, reverting with its named error.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { keccak256, toHex, zeroAddress } from 'viem'
import type { Address } from 'viem'
import { settlementAbi } from '../../src/contracts/settlementAbi.ts'
import { createSettlementClient } from '../../src/payments/clients.ts'
import { deploySettlement, deposit, getChannel, redeem, redeemBatch, requestWithdraw, withdraw } from '../../src/payments/contract.ts'
import { ChainUnavailableError, SettlementRevertedError } from '../../src/payments/errors.ts'
import { hashReceipt, initialReceipt, nextReceipt, signReceipt, verifyReceipt } from '../../src/payments/voucher.ts'
import type { Receipt, SignedReceipt } from '../../src/payments/voucher.ts'
import { highS, startTestChain } from './chain.ts'
import type { Actor, TestChain } from './chain.ts'

let chain: TestChain
let relayer: Actor // a third party that pays gas for redeems, so balances move by exactly the receipt amounts

before(async () => {
  chain = await startTestChain()
  relayer = await chain.actor()
})
after(() => chain?.stop())

const jobId = (i: number) => keccak256(toHex(`job-${i}`))

async function channel(payer: Actor, payee: Address, token: Address = zeroAddress) {
  return getChannel(payer.client, { address: chain.settlement, payer: payer.address, payee, token })
}

async function receiptFor(payer: Actor, payee: Address, amounts: bigint[], { token = zeroAddress, epoch = 0 }: { token?: Address; epoch?: number } = {}): Promise<SignedReceipt> {
  let r: Receipt = initialReceipt({ payer: payer.address, payee, token, epoch })
  amounts.forEach((amount, i) => (r = nextReceipt(r, { jobId: jobId(i), amount })))
  return signReceipt(payer.account, r, chain.domain)
}

async function rejectsWith(promise: Promise<unknown>, errorName: string) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof SettlementRevertedError, `expected SettlementRevertedError, got ${String(err)}`)
    assert.equal(err.errorName, errorName)
    return true
  })
}

test('deposit, 1,000 receipts signed off-chain, one redeem pays exactly their sum', async () => {
  const payer = await chain.actor()
  const payee = await chain.actor()
  await deposit(payer.client, { address: chain.settlement, payee: payee.address, amount: 10n ** 18n })
  let r = initialReceipt({ payer: payer.address, payee: payee.address, token: zeroAddress, epoch: 0 })
  let sum = 0n
  let last: SignedReceipt | undefined
  for (let i = 0; i < 1000; i++) {
    const amount = BigInt(1000 + ((i * 7919) % 5000))
    sum += amount
    r = nextReceipt(r, { jobId: jobId(i), amount })
    last = await signReceipt(payer.account, r, chain.domain)
  }
  assert.equal((await verifyReceipt(last!, chain.domain)).ok, true)
  // The contract hashes exactly what viem hashes.
  const onChain = await chain.deployer.client.publicClient.readContract({ address: chain.settlement, abi: settlementAbi, functionName: 'hashReceipt', args: [r] })
  assert.equal(onChain, hashReceipt(r, chain.domain))
  const before = await chain.balanceOf(zeroAddress, payee.address)
  const result = await redeem(relayer.client, { address: chain.settlement, receipt: last! })
  assert.equal(result.amount, sum)
  assert.equal((await chain.balanceOf(zeroAddress, payee.address)) - before, sum)
  assert.ok(result.gasUsed < 50_000n, `redeem used ${result.gasUsed} gas`)
  const c = await channel(payer, payee.address)
  assert.equal(c.claimed, sum)
  assert.equal(last!.jobCount, 1000n)
  // Double redeem of the same receipt pays nothing more.
  await rejectsWith(redeem(relayer.client, { address: chain.settlement, receipt: last! }), 'NothingToRedeem')
})

test('replay on another chain id or another contract, forged and inflated receipts: InvalidSignature', async () => {
  const payer = await chain.actor()
  const payee = await chain.actor()
  await deposit(payer.client, { address: chain.settlement, payee: payee.address, amount: 1000n })
  const r = nextReceipt(initialReceipt({ payer: payer.address, payee: payee.address, token: zeroAddress, epoch: 0 }), { jobId: jobId(1), amount: 100n })
  const otherChain = await signReceipt(payer.account, r, { ...chain.domain, chainId: 1 })
  await rejectsWith(redeem(relayer.client, { address: chain.settlement, receipt: otherChain }), 'InvalidSignature')
  // Same receipt, valid for contract A, replayed on a second deployment B where the payer also has funds.
  const { address: other } = await deploySettlement(chain.deployer.client, { withdrawDelay: 60 })
  await deposit(payer.client, { address: other, payee: payee.address, amount: 1000n })
  const valid = await signReceipt(payer.account, r, chain.domain)
  await rejectsWith(redeem(relayer.client, { address: other, receipt: valid }), 'InvalidSignature')
  // The node inflates the amount, or signs a receipt itself in the payer's name.
  await rejectsWith(redeem(relayer.client, { address: chain.settlement, receipt: { ...valid, cumulative: 900n } }), 'InvalidSignature')
  const forged = await signReceipt(payee.account, { ...r, cumulative: 900n }, chain.domain)
  await rejectsWith(redeem(relayer.client, { address: chain.settlement, receipt: forged }), 'InvalidSignature')
  // The malleated (high-s) twin of a valid signature is refused by name.
  await rejectsWith(redeem(relayer.client, { address: chain.settlement, receipt: { ...valid, signature: highS(valid.signature) } }), 'HighS')
  // The genuine receipt still works, once.
  assert.equal((await redeem(relayer.client, { address: chain.settlement, receipt: valid })).amount, 100n)
})

test('withdraw: not before the delay; then refund, new epoch, old receipts void; top-up cancels a request', async () => {
  const payer = await chain.actor()
  const payee = await chain.actor()
  await deposit(payer.client, { address: chain.settlement, payee: payee.address, amount: 1000n })
  await rejectsWith(withdraw(payer.client, { address: chain.settlement, payee: payee.address }), 'NoWithdrawRequested')
  const old = await receiptFor(payer, payee.address, [300n])
  const req = await requestWithdraw(payer.client, { address: chain.settlement, payee: payee.address })
  assert.equal(req.amount, 1000n)
  await rejectsWith(withdraw(payer.client, { address: chain.settlement, payee: payee.address }), 'WithdrawTooEarly')
  // A top-up cancels the pending request.
  await deposit(payer.client, { address: chain.settlement, payee: payee.address, amount: 1n })
  assert.equal((await channel(payer, payee.address)).withdrawAt, 0)
  await rejectsWith(withdraw(payer.client, { address: chain.settlement, payee: payee.address }), 'NoWithdrawRequested')
  await requestWithdraw(payer.client, { address: chain.settlement, payee: payee.address })
  // During the delay the node redeems first.
  assert.equal((await redeem(relayer.client, { address: chain.settlement, receipt: old })).amount, 300n)
  await chain.increaseTime(chain.withdrawDelay + 1)
  const payerBefore = await chain.balanceOf(zeroAddress, payer.address)
  const w = await withdraw(payer.client, { address: chain.settlement, payee: payee.address })
  assert.equal(w.amount, 701n)
  const gasCost = w.gasUsed * (await chain.deployer.client.publicClient.getTransactionReceipt({ hash: w.hash })).effectiveGasPrice
  assert.equal((await chain.balanceOf(zeroAddress, payer.address)) - payerBefore + gasCost, 701n)
  assert.deepEqual(await channel(payer, payee.address), { deposit: 0n, claimed: 0n, epoch: 1, withdrawAt: 0, available: 0n })
  // New funds in epoch 1: an epoch-0 receipt for more is void.
  await deposit(payer.client, { address: chain.settlement, payee: payee.address, amount: 1000n })
  const stale = await receiptFor(payer, payee.address, [300n, 400n])
  await rejectsWith(redeem(relayer.client, { address: chain.settlement, receipt: stale }), 'StaleEpoch')
  const fresh = await receiptFor(payer, payee.address, [50n], { epoch: 1 })
  assert.equal((await redeem(relayer.client, { address: chain.settlement, receipt: fresh })).amount, 50n)
})

test('overdraft: pays up to the deposit, the rest after a top-up', async () => {
  const payer = await chain.actor()
  const payee = await chain.actor()
  await deposit(payer.client, { address: chain.settlement, payee: payee.address, amount: 100n })
  const r = await receiptFor(payer, payee.address, [60n, 90n])
  assert.equal((await redeem(relayer.client, { address: chain.settlement, receipt: r })).amount, 100n)
  await rejectsWith(redeem(relayer.client, { address: chain.settlement, receipt: r }), 'NothingToRedeem')
  await deposit(payer.client, { address: chain.settlement, payee: payee.address, amount: 100n })
  assert.equal((await redeem(relayer.client, { address: chain.settlement, receipt: r })).amount, 50n)
  assert.deepEqual(await channel(payer, payee.address), { deposit: 200n, claimed: 150n, epoch: 0, withdrawAt: 0, available: 50n })
})

test('ERC-20: deposits approve first; redeemBatch pays many payers in one transfer; wrong payee refused', async () => {
  const payee = await chain.actor()
  const payers = await Promise.all([0, 1, 2].map(() => chain.actor()))
  const receipts: SignedReceipt[] = []
  for (const [i, p] of payers.entries()) {
    await chain.mint(p.address, 10_000n)
    const d = await deposit(p.client, { address: chain.settlement, payee: payee.address, token: chain.token, amount: 5_000n })
    assert.ok(d.approveHash)
    receipts.push(await receiptFor(p, payee.address, [BigInt(100 * (i + 1)), 1n], { token: chain.token }))
  }
  assert.equal(await chain.balanceOf(chain.token, chain.settlement), 15_000n)
  const stranger = await chain.actor()
  await rejectsWith(
    redeemBatch(relayer.client, { address: chain.settlement, payee: stranger.address, token: chain.token, receipts }),
    'WrongPayee',
  )
  await rejectsWith(redeemBatch(relayer.client, { address: chain.settlement, payee: payee.address, token: zeroAddress, receipts }), 'WrongToken')
  const result = await redeemBatch(relayer.client, { address: chain.settlement, payee: payee.address, token: chain.token, receipts })
  assert.equal(result.total, 101n + 201n + 301n)
  assert.equal(await chain.balanceOf(chain.token, payee.address), 603n)
  // Atomic: one already-redeemed receipt fails the whole batch.
  await rejectsWith(redeemBatch(relayer.client, { address: chain.settlement, payee: payee.address, token: chain.token, receipts }), 'NothingToRedeem')
})

test('bad deposits are refused by name', async () => {
  const payer = await chain.actor()
  await rejectsWith(deposit(payer.client, { address: chain.settlement, payee: payer.address, amount: 1n }), 'InvalidPayee')
  await rejectsWith(deposit(payer.client, { address: chain.settlement, payee: relayer.address, amount: 0n }), 'ZeroAmount')
  await rejectsWith(requestWithdraw(payer.client, { address: chain.settlement, payee: relayer.address }), 'NothingToWithdraw')
})

test('RPC down: typed ChainUnavailableError, nothing sent', async () => {
  const payer = await chain.actor()
  const down = createSettlementClient({ chainRpc: 'http://127.0.0.1:9', chainId: chain.anvil.chainId, rpcTimeoutMs: 2_000 }, payer.account)
  await assert.rejects(deposit(down, { address: chain.settlement, payee: relayer.address, amount: 5n }), ChainUnavailableError)
  await assert.rejects(getChannel(down, { address: chain.settlement, payer: payer.address, payee: relayer.address }), ChainUnavailableError)
  assert.equal((await channel(payer, relayer.address)).deposit, 0n)
})
