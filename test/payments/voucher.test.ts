import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { privateKeyToAccount } from 'viem/accounts'
import { signPayeeLink, verifyPayeeLink } from '../../src/payments/payeeLink.ts'
import { chainJobsHash, coveredJobsFromJson, hashReceipt, initialReceipt, nextReceipt, receiptFromJson, receiptToJson, signReceipt, verifyReceipt } from '../../src/payments/voucher.ts'
import type { SettlementDomain } from '../../src/payments/voucher.ts'
import { highS } from './chain.ts'

const vectors = JSON.parse(readFileSync(new URL('../vectors/cpr.json', import.meta.url), 'utf8'))
const domain: SettlementDomain = { chainId: vectors.domain.chainId, verifyingContract: vectors.domain.verifyingContract }
const payer = privateKeyToAccount(vectors.payerPrivateKey)
const payee = privateKeyToAccount(vectors.payeePrivateKey)
test('vectors: the receipt chain, digests and signatures match test/vectors/cpr.json', async () => {
  let r = initialReceipt({ payer: payer.address, payee: payee.address, token: '0x0000000000000000000000000000000000000000', epoch: 0 })
  for (const v of vectors.receipts) {
    r = nextReceipt(r, { jobId: v.job, amount: BigInt(v.amount) })
    assert.equal(hashReceipt(r, domain), v.digest)
    const signed = await signReceipt(payer, r, domain)
    assert.deepEqual(receiptToJson(signed), v.receipt)
    assert.deepEqual(receiptFromJson(v.receipt), signed)
    assert.deepEqual(await verifyReceipt(signed, domain), { ok: true, signer: payer.address })
  }
  assert.equal(hashReceipt(r, vectors.otherChainDigest.domain), vectors.otherChainDigest.digest)
})

test('nextReceipt is pure and chains job ids', () => {
  const r0 = initialReceipt({ payer: payer.address, payee: payee.address, token: '0x0000000000000000000000000000000000000000', epoch: 3 })
  const frozen = structuredClone(r0)
  const r1 = nextReceipt(r0, { jobId: vectors.receipts[0].job, amount: 5n })
  assert.deepEqual(r0, frozen)
  assert.equal(r1.cumulative, 5n)
  assert.equal(r1.jobCount, 1n)
  assert.equal(r1.epoch, 3)
  assert.equal(r1.jobsHash, chainJobsHash(r0.jobsHash, `0x${vectors.receipts[0].job}`))
  assert.throws(() => nextReceipt(r0, { jobId: 'abc', amount: 1n }), /32 bytes/)
  assert.throws(() => nextReceipt(r0, { jobId: vectors.receipts[0].job, amount: -1n }), RangeError)
})

test('verifyReceipt refuses altered, foreign-domain, wrong-signer and high-s receipts with a reason', async () => {
  const signed = receiptFromJson(vectors.receipts[2].receipt)
  const inflated = await verifyReceipt({ ...signed, cumulative: signed.cumulative + 1n }, domain)
  assert.equal(inflated.ok, false)
  assert.match((inflated as { reason: string }).reason, /not the payer/)
  assert.equal((await verifyReceipt(signed, { ...domain, chainId: 1 })).ok, false)
  assert.equal((await verifyReceipt(signed, { ...domain, verifyingContract: payee.address })).ok, false)
  const byPayee = await signReceipt(payee, signed, domain)
  assert.equal((await verifyReceipt(byPayee, domain)).ok, false)
  const malleated = await verifyReceipt({ ...signed, signature: highS(signed.signature) }, domain)
  assert.deepEqual(malleated, { ok: false, reason: 'signature has a high s value' })
  assert.deepEqual(await verifyReceipt({ ...signed, signature: '0x1234' }, domain), { ok: false, reason: 'signature must be 65 bytes' })
  assert.equal((await verifyReceipt({ ...signed, epoch: -1 }, domain)).ok, false)
})

test('signReceipt accepts a signTypedData callback', async () => {
  const r = receiptFromJson(vectors.receipts[0].receipt)
  const viaFn = await signReceipt((td) => payer.signTypedData(td), r, domain)
  assert.equal(viaFn.signature, vectors.receipts[0].receipt.signature)
})

test('receiptFromJson names the field at fault', () => {
  assert.throws(() => receiptFromJson({ ...vectors.receipts[0].receipt, cumulative: 12 }), /cumulative must be a decimal string/)
  assert.throws(() => receiptFromJson({ ...vectors.receipts[0].receipt, payee: '0x12' }), /payee must be an address/)
  assert.throws(() => receiptFromJson(null), /object/)
})

test('payee link: vector proof verifies; another key, message or address does not', async () => {
  const { nostrPubkey, payee: addr, proof } = vectors.payeeLink
  assert.equal(await signPayeeLink(payee, nostrPubkey), proof)
  assert.equal(await verifyPayeeLink({ payee: addr, nostrPubkey, proof }), true)
  assert.equal(await verifyPayeeLink({ payee: payer.address, nostrPubkey, proof }), false)
  assert.equal(await verifyPayeeLink({ payee: addr, nostrPubkey: 'a'.repeat(64), proof }), false)
  assert.equal(await verifyPayeeLink({ payee: addr, nostrPubkey, proof: '0xdead' }), false)
  await assert.rejects(() => signPayeeLink(payee, 'NOT-HEX'), TypeError)
})

test('covering vector: a receipt names the jobs its jobsHash chains since the stored one; their amounts sum to its increment', () => {
  const { stored, receipt, increment } = vectors.covering
  const jobs = coveredJobsFromJson(receipt)!
  assert.equal(jobs.length, 2)
  let h = receiptFromJson(stored).jobsHash
  for (const id of jobs) h = chainJobsHash(h, id)
  const r = receiptFromJson(receipt)
  assert.equal(h, r.jobsHash)
  assert.equal(r.jobCount - receiptFromJson(stored).jobCount, BigInt(jobs.length))
  assert.equal((r.cumulative - receiptFromJson(stored).cumulative).toString(), increment)
  assert.deepEqual(receiptToJson(r, undefined, { jobs }), receipt)
  assert.equal(coveredJobsFromJson(vectors.receipts[0].receipt), undefined)
  assert.throws(() => coveredJobsFromJson({ jobs: ['0xNOT'] }), /at most 16 job ids/)
  assert.throws(() => coveredJobsFromJson({ jobs: Array.from({ length: 17 }, () => 'a'.repeat(64)) }), /at most 16/)
})
