// A priced node with the wallet-backed PaymentGate on a real dev chain (anvil): it serves within the credit limit
// (jobs counted at their worst case), refuses with `payment` beyond it, accepts a receipt frame for the job it served
// (the wallet checks it on chain), refuses a receipt with the wrong amount, and serves again once paid. Credit is
// capped by the payer's unspent deposit once its address is known; at credit limit 0 only prepaid receipts get work.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { hexToBytes } from '@noble/hashes/utils.js'
import { zeroAddress } from 'viem'
import { createReceiptBook, type ReceiptBook } from '../../client/payments/receiptBook.ts'
import { createReceiptWallet, type ReceiptWallet } from '../../node/wallet/receiptWallet.ts'
import { createWalletPaymentGate } from '../../node/walletPaymentGate.ts'
import { deposit } from '../../src/payments/contract.ts'
import { signPayeeLink, verifyPayeeLink } from '../../src/payments/payeeLink.ts'
import { parseCapability } from '../../src/protocol/capability.ts'
import WebSocket from 'ws'
import { createRelayPool, type WebSocketConstructor } from '../../src/net/relayPool.ts'
import { receiptToJson } from '../../src/payments/voucher.ts'
import { parseJobResult } from '../../src/protocol/jobResult.ts'
import { buildReceiptEvent } from '../../src/protocol/receipt.ts'
import { createLocalSigner, type Signer } from '../../src/signer.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import type { FakeBackendServer } from '../helpers/fakeBackends/pacer.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'
import { startTestChain, type Actor, type TestChain } from '../payments/chain.ts'
import { worstCaseAmount } from '../../src/protocol/worstCase.ts'
import { connectWs, jobEvent, payload, type WsClient } from './directClient.ts'

const price = { input: '1000', output: '2000' }
/** The most the test job (no max_tokens: the node's default output cap, 4096) can cost at this price. */
const worst = worstCaseAmount({ messages: payload().messages, maxTokens: 4096 }, price)

describe('priced node with receipts', () => {
  let chain: TestChain
  let relay: TestRelay
  let fake: FakeBackendServer
  let node: TestNode
  let nodeActor: Actor
  let payer: Actor
  let client: Signer
  let wallet: ReceiptWallet
  let book: ReceiptBook
  let ws: WsClient
  let dir: string

  before(async () => {
    chain = await startTestChain()
    relay = await startRelay()
    fake = await startFakeOllama({ models: ['llama3'] })
    dir = mkdtempSync(join(tmpdir(), 'infernet-paid-'))
    nodeActor = await chain.actor()
    payer = await chain.actor()
    const nodeSigner = createLocalSigner(hexToBytes(nodeActor.key.slice(2)))
    client = createLocalSigner(hexToBytes(payer.key.slice(2)))
    wallet = createReceiptWallet({ path: join(dir, 'wallet.sqlite'), payee: nodeActor.address, domain: chain.domain, client: nodeActor.client })
    // Credit for one job at its worst case: the first is served, a second is not until the first is paid.
    const gate = createWalletPaymentGate({ wallet, signer: nodeSigner, token: zeroAddress, creditLimit: worst })
    const terms = { chainId: chain.domain.chainId, contract: chain.settlement, token: zeroAddress, payee: nodeActor.address, payeeProof: await signPayeeLink(nodeActor.account, nodeSigner.pubkey), creditLimit: String(worst) }
    node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, price, signer: nodeSigner, payment: gate, paymentTerms: terms, home: dir })
    await deposit(payer.client, { address: chain.settlement, payee: nodeActor.address, amount: 1_000_000n })
    book = createReceiptBook({ account: payer.account, domain: chain.domain, budget: 1_000_000n })
    ws = await connectWs(node.streamUrl, client)
  })
  after(async () => {
    await ws?.close()
    await node?.stop()
    wallet?.close()
    await fake?.close()
    await relay?.close()
    await chain?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  const run = async () => {
    const job = await jobEvent(client, node.pubkey)
    await ws.submit(job)
    return { job, end: await ws.end(job.id) }
  }

  it('announces its payment terms in the capability', async () => {
    const cap = parseCapability(await node.daemon.publishCapability())
    assert.ok(cap.ok)
    assert.equal(cap.data.payment?.payee, nodeActor.address)
    assert.equal(await verifyPayeeLink({ payee: cap.data.payment!.payee, nostrPubkey: node.pubkey, proof: cap.data.payment!.payeeProof }), true)
  })

  it('serves, asks for a receipt beyond the credit limit, checks receipts, serves again once paid', async () => {
    const first = await run()
    assert.equal(first.end.type, 'result')
    const result = parseJobResult((first.end as { event: unknown }).event)
    assert.ok(result.ok)
    assert.ok(result.data.amount > 0n)

    const refused = await run()
    assert.equal(refused.end.type, 'error')
    assert.equal((refused.end as { code: string }).code, 'payment')

    // a receipt for the wrong amount is refused by the wallet and changes nothing
    const { nextReceipt, initialReceipt, signReceipt } = await import('../../src/payments/voucher.ts')
    const wrong = await signReceipt(payer.account, nextReceipt(initialReceipt({ payer: payer.address, payee: nodeActor.address, token: zeroAddress, epoch: 0 }), { jobId: first.job.id, amount: result.data.amount + 1n }), chain.domain)
    ws.send({ type: 'receipt', event: await buildReceiptEvent(client, { node: node.pubkey, job: first.job.id, voucher: receiptToJson(wrong, chain.domain) }) })
    const nack = await ws.waitFor((f) => f.type === 'receipt-ack' && !f.accepted)
    assert.match((nack as { reason?: string }).reason ?? '', /wrong-increment/)

    const receipt = await book.pay({ payee: nodeActor.address, jobId: first.job.id, amount: result.data.amount })
    ws.send({ type: 'receipt', event: await buildReceiptEvent(client, { node: node.pubkey, job: first.job.id, voucher: receiptToJson(receipt, chain.domain) }) })
    const ack = await ws.waitFor((f) => f.type === 'receipt-ack' && f.accepted)
    assert.equal((ack as { job?: string }).job, first.job.id)
    assert.equal(wallet.get(payer.address, zeroAddress)?.cumulative, result.data.amount)
    assert.equal(wallet.unpaid(payer.address, zeroAddress), 0n)

    const again = await run()
    assert.equal(again.end.type, 'result')
    const second = parseJobResult((again.end as { event: unknown }).event)
    assert.ok(second.ok)
    // the payer is known now: what it owes is in the wallet's ledger
    assert.equal(wallet.unpaid(payer.address, zeroAddress), second.data.amount)

    // the receipt for the second job travels through the relay as a kind 3833 event
    const r2 = await book.pay({ payee: nodeActor.address, jobId: again.job.id, amount: second.data.amount })
    const pool = createRelayPool({ urls: [relay.url], WebSocket: WebSocket as unknown as WebSocketConstructor })
    try {
      await pool.ready()
      await pool.publish(await buildReceiptEvent(client, { node: node.pubkey, job: again.job.id, voucher: receiptToJson(r2, chain.domain) }))
      const deadline = Date.now() + 5000
      while (wallet.get(payer.address, zeroAddress)?.cumulative !== result.data.amount + second.data.amount && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      assert.equal(wallet.get(payer.address, zeroAddress)?.cumulative, result.data.amount + second.data.amount)
      assert.equal(wallet.unpaid(payer.address, zeroAddress), 0n)
    } finally {
      pool.close()
    }
  })
  it('a known payer gets credit only as far as its unspent deposit on chain', async () => {
    const other = await chain.actor()
    const key = createLocalSigner(hexToBytes(other.key.slice(2)))
    const conn = await connectWs(node.streamUrl, key)
    try {
      const submit = async () => {
        const job = await jobEvent(key, node.pubkey)
        await conn.submit(job)
        return { job, end: await conn.end(job.id) }
      }
      const first = await submit()
      assert.equal(first.end.type, 'result')
      const due = parseJobResult((first.end as { event: unknown }).event)
      assert.ok(due.ok)
      // A deposit that covers the first job and one unit less than the next job's worst case.
      await deposit(other.client, { address: chain.settlement, payee: nodeActor.address, amount: due.data.amount + worst - 1n })
      const otherBook = createReceiptBook({ account: other.account, domain: chain.domain, budget: 1_000_000n })
      const r = await otherBook.pay({ payee: nodeActor.address, jobId: first.job.id, amount: due.data.amount })
      conn.send({ type: 'receipt', event: await buildReceiptEvent(key, { node: node.pubkey, job: first.job.id, voucher: receiptToJson(r, chain.domain) }) })
      await conn.waitFor((f) => f.type === 'receipt-ack' && f.accepted)
      const second = await submit()
      assert.equal(second.end.type, 'error')
      assert.equal((second.end as { code: string }).code, 'payment')
      assert.match((second.end as { message: string }).message, new RegExp(`unspent deposit is ${worst - 1n}`))
    } finally {
      await conn.close()
    }
  })

  it('credit limit 0: a fresh key\'s first job is refused until a prepaid receipt covers its worst case', async (t) => {
    const strict = mkdtempSync(join(tmpdir(), 'infernet-paid0-'))
    t.after(() => rmSync(strict, { recursive: true, force: true }))
    const strictActor = await chain.actor()
    const strictSigner = createLocalSigner(hexToBytes(strictActor.key.slice(2)))
    const strictWallet = createReceiptWallet({ path: join(strict, 'wallet.sqlite'), payee: strictActor.address, domain: chain.domain, client: strictActor.client })
    t.after(() => strictWallet.close())
    const strictGate = createWalletPaymentGate({ wallet: strictWallet, signer: strictSigner, token: zeroAddress, creditLimit: 0n })
    const strictNode = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, price, signer: strictSigner, payment: strictGate, home: strict })
    t.after(() => strictNode.stop())
    const fresh = await chain.actor()
    await deposit(fresh.client, { address: chain.settlement, payee: strictActor.address, amount: 1_000_000n })
    const key = createLocalSigner(hexToBytes(fresh.key.slice(2)))
    const conn = await connectWs(strictNode.streamUrl, key)
    t.after(() => conn.close())

    const job = await jobEvent(key, strictNode.pubkey)
    await conn.submit(job)
    const refused = await conn.end(job.id)
    assert.equal(refused.type, 'error')
    assert.equal((refused as { code: string }).code, 'payment')
    assert.match((refused as { message: string }).message, new RegExp(`prepaid receipt of at least ${worst}`))

    // A prepaid receipt (no "e" tag) for the worst case of the next job; then that job is served.
    const freshBook = createReceiptBook({ account: fresh.account, domain: chain.domain, budget: 1_000_000n })
    const next = await jobEvent(key, strictNode.pubkey)
    const prepaid = await freshBook.pay({ payee: strictActor.address, jobId: next.id, amount: worst })
    conn.send({ type: 'receipt', event: await buildReceiptEvent(key, { node: strictNode.pubkey, voucher: receiptToJson(prepaid, chain.domain) }) })
    await conn.waitFor((f) => f.type === 'receipt-ack' && f.accepted)
    await conn.submit(next)
    const served = await conn.end(next.id)
    assert.equal(served.type, 'result')
    const cost = parseJobResult((served as { event: unknown }).event)
    assert.ok(cost.ok)
    assert.equal(strictWallet.balance(fresh.address, zeroAddress), cost.data.amount - worst)
    // What is left of the prepayment covers less than another job's worst case: refused again.
    const third = await jobEvent(key, strictNode.pubkey)
    await conn.submit(third)
    assert.equal(((await conn.end(third.id)) as { code?: string }).code, 'payment')
  })
})
