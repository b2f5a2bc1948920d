// Embeddings are paid like chat (nips/embeddings.md "Price"; nips/cpr.md "Credit"): a node that serves only prepaid
// work (credit limit 0) refuses a fresh key's embeddings job `payment` until a receipt covers its worst case (the
// input's worst-case tokens at the input price). The SDK's embed() pays ahead as chat() does, so the job is served,
// and what was paid ahead is on the node's books against the deposit on the dev chain.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { hexToBytes } from '@noble/hashes/utils.js'
import { zeroAddress } from 'viem'
import { createReceiptBook } from '../../client/payments/receiptBook.ts'
import { receiptBookIssuer } from '../../client/receiptBookIssuer.ts'
import { AllCandidatesFailedError } from '../../client/errors.ts'
import { createReceiptWallet } from '../../node/wallet/receiptWallet.ts'
import { createWalletPaymentGate } from '../../node/walletPaymentGate.ts'
import { deposit } from '../../src/payments/contract.ts'
import { signPayeeLink } from '../../src/payments/payeeLink.ts'
import { embeddingWorstCaseUsage } from '../../src/protocol/embeddingJob.ts'
import { amountDue } from '../../src/protocol/price.ts'
import { createLocalSigner } from '../../src/signer.ts'
import { createTestClient, waitForLive } from '../helpers/client.ts'
import { fakeEmbedding } from '../helpers/fakeBackends/fakeEmbedding.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import type { FakeBackendServer } from '../helpers/fakeBackends/pacer.ts'
import { startNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'
import { startTestChain, type TestChain } from './chain.ts'

const price = { input: '1000000', output: '1000000' }
const input = ['alpha beta', 'gamma delta epsilon']

let chain: TestChain
let relay: TestRelay
let fake: FakeBackendServer

before(async () => {
  chain = await startTestChain()
  relay = await startRelay()
  fake = await startFakeOllama({ models: ['embed-small'], capabilities: { 'embed-small': ['embedding'] }, embeddingLength: 8 })
})
after(async () => {
  await fake?.close()
  await relay?.close()
  await chain?.stop()
})

describe('embeddings on a node that serves only prepaid work', () => {
  it("refuses an unpaid key's job with a payment error; embed() paying ahead is served and the prepayment is on the node's books", async (t) => {
    const actor = await chain.actor()
    const signer = createLocalSigner(hexToBytes(actor.key.slice(2)))
    const wallet = createReceiptWallet({ path: ':memory:', payee: actor.address, domain: chain.domain, client: actor.client })
    t.after(() => wallet.close())
    const gate = createWalletPaymentGate({ wallet, signer, token: zeroAddress, creditLimit: 0n })
    t.after(() => gate.close())
    const terms = { chainId: chain.domain.chainId, contract: chain.settlement, token: zeroAddress, payee: actor.address, payeeProof: await signPayeeLink(actor.account, signer.pubkey), creditLimit: '0' }
    const node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, price, signer, payment: gate, paymentTerms: terms })
    t.after(() => node.stop())

    // A key that cannot pay ahead: refused by the node, with what to send.
    const unpaid = createTestClient({ relays: [relay.url] })
    t.after(() => unpaid.close())
    await waitForLive(unpaid, [node.pubkey])
    await assert.rejects(unpaid.embed({ model: 'embed-small', input }), (err: unknown) => {
      assert.ok(err instanceof AllCandidatesFailedError, String(err))
      assert.equal(err.failures[0]?.code, 'payment')
      assert.match(err.failures[0]!.reason, /prepaid receipt/)
      return true
    })

    const payer = await chain.actor()
    await deposit(payer.client, { address: chain.settlement, payee: actor.address, amount: 10n ** 9n })
    const book = createReceiptBook({ account: payer.account, domain: chain.domain, budget: 10n ** 9n })
    const client = createTestClient({ relays: [relay.url], signer: createLocalSigner(hexToBytes(payer.key.slice(2))), receipts: receiptBookIssuer({ book, domain: chain.domain }) })
    t.after(() => client.close())
    await waitForLive(client, [node.pubkey])
    const res = await client.embed({ model: 'embed-small', input })
    res.data.forEach((d, i) => assert.deepEqual(d.embedding, fakeEmbedding('embed-small:latest', input[i]!, 8)))
    const worstCase = amountDue(embeddingWorstCaseUsage(input), price)
    assert.equal(res.cost, amountDue({ promptTokens: res.usage.promptTokens, completionTokens: 0 }, price))
    // Paid ahead by the worst case; the job cost less, and the rest stays paid ahead (the balance owed is negative).
    assert.ok(res.cost < worstCase)
    assert.equal(wallet.balance(payer.address, zeroAddress), res.cost - worstCase)
  })
})
