// The coordinator's audits are paid like its gateway's jobs (nips/audit-verdict.md, "The coordinator's auditor"). A
// priced node with a credit limit of 0 serves only work paid ahead; an audit job from a key made for it alone holds
// no deposit, so such a node refused it, the refused job counted as a complete mismatch, and an honest node got a
// `fail` verdict and was routed around. Audit jobs now go through the gateway's own client: its key, its channel to
// the node, its receipts, so the node is paid for them and cannot tell them from the gateway's other jobs by key.
// Without a gateway they still come from one-off keys; a refusal for payment then ends the audit unrun.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { hexToBytes } from '@noble/hashes/utils.js'
import { zeroAddress } from 'viem'
import { createReceiptBook, type ReceiptBook } from '../../client/payments/receiptBook.ts'
import type { CoordinatorConfig } from '../../src/coordinator/config.ts'
import { receiptBookIssuer } from '../../client/receiptBookIssuer.ts'
import { createBackend } from '../../node/backends/index.ts'
import type { Backend, ModelInfo } from '../../node/backends/types.ts'
import { createReceiptWallet } from '../../node/wallet/receiptWallet.ts'
import { createWalletPaymentGate } from '../../node/walletPaymentGate.ts'
import type { PaymentGate } from '../../node/paymentGate.ts'
import { deposit } from '../../src/payments/contract.ts'
import { signPayeeLink } from '../../src/payments/payeeLink.ts'
import { createLocalSigner, type Signer } from '../../src/signer.ts'
import { startCoordinator, type TestCoordinator } from '../helpers/coordinator.ts'
import { startFakeOpenAI } from '../helpers/fakeBackends/openai.ts'
import type { FakeBackendServer } from '../helpers/fakeBackends/pacer.ts'
import { waitFor } from '../helpers/network.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'
import { startTestChain, type TestChain } from './chain.ts'

const price = { input: '1000', output: '2000' }
const digest = `sha256:${'ab'.repeat(32)}`
const reply = 'The audited answer.'

/** The engine's models under one digest, announced chat only (so the audit's method is greedy-prefix). */
function withDigest(inner: Backend): Backend {
  const tag = (m: ModelInfo): ModelInfo => ({ ...m, digest, features: undefined })
  return {
    kind: inner.kind,
    baseUrl: inner.baseUrl,
    health: (o) => inner.health(o),
    listModels: async (o) => (await inner.listModels(o)).map(tag),
    loadedModels: (o) => inner.loadedModels(o),
    resolveModel: async (id) => {
      const m = await inner.resolveModel(id)
      return m && tag(m)
    },
    chat: (request, o) => inner.chat(request, o),
  }
}

describe('the coordinator pays its audit jobs', () => {
  let chain: TestChain
  let relay: TestRelay
  let engine: FakeBackendServer
  let reference: FakeBackendServer
  let node: TestNode
  let coord: TestCoordinator | undefined
  let book: ReceiptBook
  let payerSigner: Signer
  const coordinator = (config: Partial<CoordinatorConfig>) =>
    startCoordinator({ relays: [relay.url], signer: payerSigner, receipts: receiptBookIssuer({ book, domain: chain.domain }), config: { auditReferences: [`${digest}=${reference.url}`], ...config } })
  /** Each job the node's gate was asked about: its client and the gate's answer; jobs settled; receipts accepted. */
  const asked = new Map<string, { client: string; ok: boolean; reason?: string | undefined }>()
  const settled = new Set<string>()
  let receiptsAccepted = 0
  const closers: (() => unknown)[] = []

  before(async () => {
    chain = await startTestChain()
    relay = await startRelay()
    engine = await startFakeOpenAI({ flavor: 'vllm', models: ['audited'], reply })
    reference = await startFakeOpenAI({ flavor: 'vllm', models: ['audited'], reply })
    // The node: priced, credit limit 0 (only work paid ahead), its wallet reading the chain.
    const nodeActor = await chain.actor()
    const nodeSigner = createLocalSigner(hexToBytes(nodeActor.key.slice(2)))
    const wallet = createReceiptWallet({ path: ':memory:', payee: nodeActor.address, domain: chain.domain, client: nodeActor.client })
    const gate = createWalletPaymentGate({ wallet, signer: nodeSigner, token: zeroAddress, creditLimit: 0n, chainRetryMs: 100 })
    closers.push(() => gate.close(), () => wallet.close())
    const watched: PaymentGate = {
      ...gate,
      authorize: async (client, job, quote) => {
        const decision = await gate.authorize(client, job, quote)
        asked.set(job, { client, ok: decision.ok, reason: decision.ok ? undefined : decision.reason })
        return decision
      },
      settle: async (client, job, amount) => {
        settled.add(job)
        return gate.settle(client, job, amount)
      },
      acceptReceipt: async (event) => {
        const decision = await gate.acceptReceipt(event)
        if (decision.ok) receiptsAccepted++
        return decision
      },
    }
    const terms = { chainId: chain.domain.chainId, contract: chain.settlement, token: zeroAddress, payee: nodeActor.address, payeeProof: await signPayeeLink(nodeActor.account, nodeSigner.pubkey), creditLimit: '0' }
    node = await startNode({ relays: [relay.url], backend: withDigest(createBackend({ kind: 'vllm', baseUrl: engine.url })), price, signer: nodeSigner, payment: watched, paymentTerms: terms })
    // The gateway's payer: the coordinator's key holds a channel to the node, as `infernet deposit` would fund it.
    const payer = await chain.actor()
    await deposit(payer.client, { address: chain.settlement, payee: nodeActor.address, amount: 10n ** 15n })
    book = createReceiptBook({ account: payer.account, domain: chain.domain, budget: 10n ** 15n })
    payerSigner = createLocalSigner(hexToBytes(payer.key.slice(2)))
  })
  after(async () => {
    await coord?.close()
    await node?.stop()
    for (const close of closers.reverse()) await close()
    await engine?.close()
    await reference?.close()
    await relay?.close()
    await chain?.stop()
  })

  it('without a gateway the audit jobs come from one-off keys: the node refuses them unpaid, and no verdict is published', async () => {
    coord = await coordinator({ gateway: false })
    const auditor = coord.coordinator.auditor!
    await waitFor(() => auditor.notRun + auditor.audits >= 1, 'an audit attempt ended', 60_000)
    assert.equal(auditor.audits, 0, 'an audit refused for payment is no verdict')
    assert.ok(asked.size >= 1)
    for (const a of asked.values()) {
      assert.notEqual(a.client, coord.signer.pubkey)
      assert.equal(a.ok, false)
      assert.match(a.reason ?? '', /prepaid|credit|receipt/i)
    }
    await coord.close()
    coord = undefined
    asked.clear()
  })

  it("with its gateway, an honest node that serves only prepaid work passes, paid from the gateway's channel under the gateway's key", async () => {
    const c = (coord = await coordinator({}))
    const own = c.coordinator.market.trustedAuditors
    const verdicts = () => c.coordinator.market.auditsFor(node.pubkey).filter((a) => own.has(a.auditor))
    await waitFor(() => verdicts().length >= 1, 'the coordinator audited the node', 60_000)
    const [verdict] = verdicts()
    assert.equal(verdict!.verdict, 'pass', `an honest node failed its audit (score ${verdict!.score})`)
    assert.equal(verdict!.jobs, 1)
    // The only jobs in this network are the audit's.
    assert.ok(asked.size >= 1)
    for (const [job, a] of asked) {
      assert.equal(a.client, c.signer.pubkey, 'the audit job came from the key every gateway job comes from')
      assert.ok(a.ok, `the node refused the audit job: ${a.reason}`)
      assert.ok(settled.has(job), 'the audit job was served to its end')
    }
    assert.ok(receiptsAccepted >= 1, 'the node accepted the receipt that paid the audit ahead')
  })
})
