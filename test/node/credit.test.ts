// The credit limit holds under concurrency (nips/cpr.md, "Credit"). The attack: many fresh keys, each firing jobs at
// once at a priced node. Before, the node counted only settled debt per key and ignored jobs in flight, so every key
// got all its concurrent jobs served and every new key got work for free. Now every job in flight counts at its
// worst case (prompt + max_tokens at the price), a key the node has no receipt from may owe at most the credit limit,
// and all such keys together at most the new-client credit: what the node serves unpaid never exceeds that bound.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { zeroAddress } from 'viem'
import { generateSecretKey } from 'nostr-tools/pure'
import { createReceiptWallet } from '../../node/wallet/receiptWallet.ts'
import { createWalletPaymentGate } from '../../node/walletPaymentGate.ts'
import type { PaymentGate } from '../../node/paymentGate.ts'
import { createSettlementClient } from '../../src/payments/clients.ts'
import { parseJobResult } from '../../src/protocol/jobResult.ts'
import { createLocalSigner } from '../../src/signer.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import { startNode } from '../helpers/node.ts'
import { startRelay } from '../helpers/relay.ts'
import { connectWs, jobEvent } from './directClient.ts'

// One base unit per completion token, prompts free: a job with max_tokens 20 costs at most 20, and (the reply is
// longer than that) exactly 20.
const price = { input: '0', output: '1000000' }
const maxTokens = 20
const worst = 20n
const creditLimit = 2n * worst
const newClientCredit = 5n * worst

/** A priced node whose gate has these terms, on an in-process relay and fake backend; `exposures` samples what it has at stake after every decision. */
async function startPricedNode(t: { after(fn: () => Promise<void> | void): void }, { config }: { config?: Parameters<typeof startNode>[0]['config'] } = {}) {
  const relay = await startRelay()
  t.after(() => relay.close())
  // Slow enough that every job of a burst is in flight at once.
  const fake = await startFakeOllama({ models: ['llama3'], reply: 'tok '.repeat(60), ttftMs: 150, tokensPerSecond: 200 })
  t.after(() => fake.close())
  // No receipt arrives in these tests, so the chain is never read: an unreachable RPC makes that plain.
  const chain = createSettlementClient({ chainRpc: 'http://127.0.0.1:9', chainId: 31337, rpcTimeoutMs: 500 })
  const wallet = createReceiptWallet({ path: ':memory:', payee: `0x${'11'.repeat(20)}`, domain: { chainId: 31337, verifyingContract: `0x${'22'.repeat(20)}` }, client: chain })
  t.after(() => wallet.close())
  const signer = createLocalSigner(generateSecretKey())
  const gate = createWalletPaymentGate({ wallet, signer, token: zeroAddress, creditLimit, newClientCredit })
  const exposures: bigint[] = []
  const sampled: PaymentGate = {
    ...gate,
    authorize: async (...args) => {
      const decision = await gate.authorize(...args)
      const e = gate.exposure()
      exposures.push(e.unpaid + e.inflight)
      return decision
    },
  }
  const node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, price, signer, payment: sampled, maxConcurrency: 64, maxQueue: 64, config })
  t.after(() => node.stop())
  return { node, gate, fake, exposures }
}

describe('credit under concurrency', () => {
  it('60 concurrent jobs from 20 fresh keys: unpaid work never exceeds the new-client credit, nor one key\'s the credit limit', async (t) => {
    const { node, gate, exposures } = await startPricedNode(t)
    const keys = Array.from({ length: 20 }, () => createLocalSigner(generateSecretKey()))
    const ends = await Promise.all(
      keys.map(async (key) => {
        const ws = await connectWs(node.streamUrl, key)
        try {
          // One connection auth per key, then jobs without their own: 60 auth events from one address would meet
          // the node's per-address auth rate limit, which is not what this test is about.
          assert.equal((await ws.authenticate()).type, 'authenticated')
          const jobs = await Promise.all([0, 1, 2].map(() => jobEvent(key, node.pubkey, { params: { max_tokens: maxTokens }, bid: price })))
          await Promise.all(jobs.map((j) => ws.submit(j, null)))
          return await Promise.all(jobs.map((j) => ws.end(j.id, 20_000)))
        } finally {
          await ws.close()
        }
      }),
    )
    let served = 0n
    let results = 0
    const refusals: string[] = []
    for (const perKey of ends) {
      let mine = 0n
      for (const end of perKey) {
        if (end.type === 'result') {
          const r = parseJobResult(end.event)
          assert.ok(r.ok)
          mine += r.data.amount
          results++
        } else {
          assert.equal(end.type, 'error')
          assert.equal((end as { code: string }).code, 'payment')
          refusals.push((end as { message: string }).message)
        }
      }
      assert.ok(mine <= creditLimit, `one fresh key was served ${mine}, over the credit limit ${creditLimit}`)
      served += mine
    }
    assert.ok(results > 0, 'some jobs are served')
    assert.ok(served <= newClientCredit, `fresh keys were served ${served} unpaid, over the new-client credit ${newClientCredit}`)
    assert.ok(exposures.length >= 60)
    const peak = exposures.reduce((a, b) => (b > a ? b : a), 0n)
    assert.ok(peak <= newClientCredit, `exposure peaked at ${peak}`)
    assert.ok(refusals.some((m) => /new clients/.test(m)), 'a refusal says the new-client credit is in use')
    assert.ok(refusals.every((m) => /receipt/.test(m)), 'every refusal says what to send')
    // Nothing stays reserved once every job ended.
    assert.equal(gate.exposure().inflight, 0n)
  })

  it('a job that names no max_tokens counts at the node\'s output cap, which the backend is given; a larger max_tokens counts in full', async (t) => {
    const { node, fake } = await startPricedNode(t, { config: { maxOutputTokens: 10 } })
    const key = createLocalSigner(generateSecretKey())
    const ws = await connectWs(node.streamUrl, key)
    t.after(() => ws.close())
    const capped = await jobEvent(key, node.pubkey, { bid: price })
    await ws.submit(capped)
    const end = await ws.end(capped.id)
    assert.equal(end.type, 'result')
    const r = parseJobResult(end.event)
    assert.ok(r.ok)
    assert.equal(r.data.usage.completionTokens, 10)
    assert.equal((fake.stats.lastChatBody as { options?: { num_predict?: number } }).options?.num_predict, 10)
    const big = await jobEvent(key, node.pubkey, { bid: price, params: { max_tokens: 4096 } })
    await ws.submit(big)
    const refused = await ws.end(big.id)
    assert.equal(refused.type, 'error')
    assert.match((refused as { message: string }).message, /may cost up to 4096/)
  })
})
