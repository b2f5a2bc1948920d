// One lost receipt must not stop a payment channel (nips/cpr.md, "Receipts that cover several jobs", "Resending").
// The attack (or accident): the node's chain RPC is unreachable just when one receipt arrives. Before, the node
// refused it `chain-unavailable` without keeping it, the SDK never sent it again, and every later cumulative receipt
// was refused `wrong-increment`: the node could never redeem more than the receipt before. Here a TCP proxy between
// the node and anvil goes down for exactly that receipt, until the node has checked both its copies (direct frame and
// relay event) against the dead chain; each scenario then shows one way the node catches up, and ends with the node
// redeeming the client's full cumulative amount on chain.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { hexToBytes } from '@noble/hashes/utils.js'
import { zeroAddress } from 'viem'
import { createReceiptBook } from '../../client/payments/receiptBook.ts'
import { receiptBookIssuer } from '../../client/receiptBookIssuer.ts'
import type { ReceiptIssuer } from '../../client/receipts.ts'
import { payout } from '../../node/payout/payout.ts'
import { createReceiptWallet } from '../../node/wallet/receiptWallet.ts'
import type { PaymentGate } from '../../node/paymentGate.ts'
import { createWalletPaymentGate } from '../../node/walletPaymentGate.ts'
import { createLogger } from '../../src/log.ts'
import { createSettlementClient } from '../../src/payments/clients.ts'
import { deposit, getChannel } from '../../src/payments/contract.ts'
import { signPayeeLink } from '../../src/payments/payeeLink.ts'
import { createLocalSigner } from '../../src/signer.ts'
import { createTestClient, waitForLive } from '../helpers/client.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import type { FakeBackendServer } from '../helpers/fakeBackends/pacer.ts'
import { waitFor } from '../helpers/network.ts'
import { startNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy.ts'
import { startTestChain, type TestChain } from './chain.ts'

const price = { input: '1000', output: '2000' }
const messages = [{ role: 'user' as const, content: 'Say hello' }]
/** Long enough that a scenario never sees a retry it did not ask for. */
const never = 3_600_000

let chain: TestChain
let relay: TestRelay
let fake: FakeBackendServer
let proxy: TcpProxy

before(async () => {
  chain = await startTestChain()
  relay = await startRelay()
  fake = await startFakeOllama({ models: ['llama3'] })
  proxy = await startTcpProxy(chain.anvil.rpcUrl)
})
after(async () => {
  await proxy?.close()
  await fake?.close()
  await relay?.close()
  await chain?.stop()
})

/** A priced node whose wallet reads the chain through the proxy; `chainRetryMs` paces its queue of receipts. */
async function pricedNode(t: { after(fn: () => unknown): void }, { chainRetryMs }: { chainRetryMs: number }) {
  const actor = await chain.actor()
  const signer = createLocalSigner(hexToBytes(actor.key.slice(2)))
  const viaProxy = createSettlementClient({ chainRpc: proxy.url, chainId: chain.anvil.chainId, rpcTimeoutMs: 1000 }, actor.account)
  const wallet = createReceiptWallet({ path: ':memory:', payee: actor.address, domain: chain.domain, client: viaProxy })
  t.after(() => wallet.close())
  // A queued receipt checked again against a dead chain is refused `chain-unavailable` (the first check queues it).
  let chainRetries = 0
  const logger = createLogger({
    component: 'gate',
    json: true,
    write: (line) => {
      const { msg, code } = JSON.parse(line) as { msg: string; code?: string }
      if (msg === 'receipt refused' && code === 'chain-unavailable') chainRetries++
    },
  })
  const gate = createWalletPaymentGate({ wallet, signer, token: zeroAddress, creditLimit: 10n ** 12n, chainRetryMs, depositMaxAgeMs: never, logger })
  // Copies of each job's receipt the node has finished checking, whichever way they came (direct frame or relay).
  const checked = new Map<string, number>()
  const counted: PaymentGate = {
    ...gate,
    acceptReceipt: async (event) => {
      try {
        return await gate.acceptReceipt(event)
      } finally {
        const job = event.tags.find((t) => t[0] === 'e')?.[1] ?? ''
        checked.set(job, (checked.get(job) ?? 0) + 1)
      }
    },
  }
  t.after(() => gate.close())
  const terms = { chainId: chain.domain.chainId, contract: chain.settlement, token: zeroAddress, payee: actor.address, payeeProof: await signPayeeLink(actor.account, signer.pubkey), creditLimit: String(10n ** 12n) }
  const node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, price, signer, payment: counted, paymentTerms: terms })
  t.after(() => node.stop())
  return { actor, wallet, gate, node, chainRetries: () => chainRetries, checked: (job: string) => checked.get(job) ?? 0 }
}

/**
 * A funded SDK client paying that node; the proxy goes down just before the receipt for its `lost`-th job is sent
 * (the issuer signs it), so exactly that receipt meets an unreachable chain.
 */
async function payingClient(t: { after(fn: () => unknown): void }, node: Awaited<ReturnType<typeof pricedNode>>, { lost, receiptRetryMs }: { lost: number; receiptRetryMs: number }) {
  const payer = await chain.actor()
  await deposit(payer.client, { address: chain.settlement, payee: node.actor.address, amount: 1_000_000n })
  const book = createReceiptBook({ account: payer.account, domain: chain.domain, budget: 1_000_000n })
  const inner = receiptBookIssuer({ book, domain: chain.domain })
  let issued = 0
  const receipts: ReceiptIssuer = {
    issue: async (request) => {
      if (++issued === lost) proxy.down()
      return inner.issue(request)
    },
  }
  const acks: { job?: string | undefined; accepted: boolean; reason?: string | undefined }[] = []
  const client = createTestClient({ relays: [relay.url], signer: createLocalSigner(hexToBytes(payer.key.slice(2))), receipts, receiptRetryMs, onReceiptAck: (a) => acks.push(a) })
  t.after(() => client.close())
  await waitForLive(client, [node.node.pubkey])
  const job = async () => client.complete({ model: 'llama3', messages, routing: { pin: node.node.pubkey } })
  return { payer, book, client, acks, job }
}

/** The node redeems what its wallet holds: it must be everything the client paid. */
async function redeemsAll(node: Awaited<ReturnType<typeof pricedNode>>, payer: { address: `0x${string}` }, spent: bigint) {
  const result = await payout({ client: node.actor.client, address: chain.settlement, payee: node.actor.address, wallet: node.wallet })
  assert.equal(result.totals[0]?.amount, spent)
  assert.equal((await getChannel(chain.deployer.client, { address: chain.settlement, payer: payer.address, payee: node.actor.address })).claimed, spent)
}

describe('a receipt refused while the chain is down', () => {
  it('the next receipt covers the lost one: accepted for both jobs, and the node redeems the full cumulative', async (t) => {
    const node = await pricedNode(t, { chainRetryMs: never })
    const { payer, client, acks, job } = await payingClient(t, node, { lost: 2, receiptRetryMs: never })
    await job()
    await waitFor(() => acks.some((a) => a.accepted), 'the first receipt acknowledged')
    const second = await job()
    await waitFor(() => acks.some((a) => !a.accepted && /^chain-unavailable/.test(a.reason ?? '')), 'the second receipt refused: chain unavailable')
    await waitFor(() => node.checked(second.jobs.at(-1)!.id) >= 2, 'both copies of the second receipt checked against the dead chain')
    assert.match(acks.find((a) => !a.accepted)!.reason!, /queued/)
    assert.equal(node.gate.queued(), 1)
    assert.deepEqual(client.unacknowledgedReceipts.map((r) => r.job), [second.jobs.at(-1)!.id])
    proxy.up()
    await job()
    // The third receipt names jobs 2 and 3; the node takes it for their two amounts together.
    await waitFor(() => node.wallet.get(payer.address, zeroAddress)?.cumulative === client.spent, 'the wallet holds the full cumulative')
    assert.equal(node.wallet.get(payer.address, zeroAddress)?.jobCount, 3n)
    assert.deepEqual(client.unacknowledgedReceipts, [])
    await redeemsAll(node, payer, client.spent)
  })

  it('the node keeps the refused receipt and checks it again once the chain answers', async (t) => {
    const node = await pricedNode(t, { chainRetryMs: 50 })
    const { payer, client, acks, job } = await payingClient(t, node, { lost: 2, receiptRetryMs: never })
    await job()
    const second = await job()
    await waitFor(() => acks.some((a) => !a.accepted), 'the second receipt refused')
    await waitFor(() => node.checked(second.jobs.at(-1)!.id) >= 2, 'both copies of the second receipt checked against the dead chain')
    // It was tried again against the dead chain before the chain came back.
    await waitFor(() => node.chainRetries() >= 1, 'the node tried the queued receipt again while the chain was down')
    proxy.up()
    await waitFor(() => node.wallet.get(payer.address, zeroAddress)?.cumulative === client.spent, 'the queued receipt accepted')
    // The retry queue drops the entry once its attempt returns, a turn after that attempt credited the wallet.
    await waitFor(() => node.gate.queued() === 0, 'the queue empty once its attempt returned')
    await redeemsAll(node, payer, client.spent)
  })

  it('the SDK sends the unacknowledged receipt again after a chain-unavailable refusal', async (t) => {
    const node = await pricedNode(t, { chainRetryMs: never })
    const { payer, client, acks, job } = await payingClient(t, node, { lost: 2, receiptRetryMs: 50 })
    await job()
    const second = await job()
    await waitFor(() => acks.some((a) => !a.accepted), 'the second receipt refused')
    await waitFor(() => node.checked(second.jobs.at(-1)!.id) >= 2, 'both copies of the second receipt checked against the dead chain')
    proxy.up()
    await waitFor(() => client.unacknowledgedReceipts.length === 0, 'the SDK resent it and the node acknowledged it', 20_000)
    assert.equal(node.wallet.get(payer.address, zeroAddress)?.cumulative, client.spent)
    await redeemsAll(node, payer, client.spent)
  })
})
