// Result verification and payment: a node that lies (bad signature, output not matching the hash, implausible
// usage, wrong amount) is detected, not paid and excluded; an honest paid node gets a cumulative receipt; the
// budget stops a job before it could overspend.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import WebSocket from 'ws'
import { privateKeyToAccount } from 'viem/accounts'
import { bytesToHex } from '@noble/hashes/utils.js'
import { BudgetExceededError, NoNodeForModelError, ResultVerificationError } from '../../client/errors.ts'
import { createReceiptBook } from '../../client/payments/receiptBook.ts'
import { receiptBookIssuer } from '../../client/receiptBookIssuer.ts'
import type { ReceiptIssuer, ReceiptRequest } from '../../client/receipts.ts'
import { createRelayPool, type WebSocketConstructor } from '../../src/net/relayPool.ts'
import * as kinds from '../../src/protocol/kinds.ts'
import { decryptReceiptEvent, parseReceiptEvent } from '../../src/protocol/receipt.ts'
import type { Price } from '../../src/protocol/schema.ts'
import { createTestClient, waitForLive } from '../helpers/client.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import { testSigner } from '../helpers/keys.ts'
import { startNode } from '../helpers/node.ts'
import { startRelay } from '../helpers/relay.ts'
import { startLyingNode, type Lie } from './lyingNode.ts'

const onePerToken: Price = { input: '1000000', output: '1000000' }
const messages = [{ role: 'user' as const, content: 'count to six' }]

function spyIssuer(): ReceiptIssuer & { calls: ReceiptRequest[] } {
  const calls: ReceiptRequest[] = []
  return { calls, issue: async (r) => (calls.push(r), { signature: '0x' + 'ab'.repeat(65), cumulative: r.cumulative.toString() }) }
}

test('lying nodes are detected, not paid and excluded; the honest twin is paid', async (t) => {
  const relay = await startRelay()
  t.after(() => relay.close())
  const lies: Lie[] = ['signature', 'hash', 'usage', 'amount']
  const liars = await Promise.all([...lies, 'none' as const].map((lie) => startLyingNode({ relays: [relay.url], model: 'llama3', price: onePerToken, lie })))
  t.after(() => Promise.all(liars.map((l) => l.close())))
  const receipts = spyIssuer()
  const client = createTestClient({ relays: [relay.url], receipts })
  t.after(() => client.close())

  for (const [i, lie] of lies.entries()) {
    const liar = liars[i]!
    await assert.rejects(client.complete({ model: 'llama3', messages, routing: { pin: liar.pubkey } }), (err: unknown) => {
      assert.ok(err instanceof ResultVerificationError, `${lie}: ${String(err)}`)
      assert.equal(err.node, liar.pubkey)
      const expected = { signature: /signature does not verify/, hash: /output hash/, usage: /completion tokens/, amount: /amount .* differs/ }[lie as 'hash']
      assert.match(err.message, expected, lie)
      return true
    })
    assert.ok(client.badNodes.has(liar.pubkey), lie)
  }
  assert.equal(receipts.calls.length, 0)
  assert.equal(client.spent, 0n)
  // Excluded for the session: pinning a bad node finds nothing.
  await assert.rejects(client.complete({ model: 'llama3', messages, routing: { pin: liars[0]!.pubkey } }), NoNodeForModelError)
  assert.equal(liars[0]!.jobs, 1)

  // The same harness telling the truth: verified and paid (6 completion + 5 prompt tokens at 1 per token).
  const honest = liars[4]!
  const result = await client.complete({ model: 'llama3', messages })
  assert.equal(result.node, honest.pubkey)
  assert.equal(result.cost, 11n)
  assert.deepEqual(receipts.calls.map((c) => [c.node, c.amount, c.cumulative]), [[honest.pubkey, 11n, 11n]])
  assert.equal(client.spent, 11n)
})

test('paid node: cumulative CPR receipts signed by the receipt book and sent through relays', async (t) => {
  const relay = await startRelay()
  t.after(() => relay.close())
  const fake = await startFakeOllama({ models: ['llama3'] })
  t.after(() => fake.close())
  const node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, price: onePerToken })
  t.after(() => node.stop())
  // The node announces no payment terms through startNode; give the issuer the terms it would announce.
  const payee = '0x' + '11'.repeat(20)
  const token = '0x' + '22'.repeat(20)
  const domain = { chainId: 31337, verifyingContract: ('0x' + '33'.repeat(20)) as `0x${string}` }
  const signer = testSigner('paying-client')
  const account = privateKeyToAccount(`0x${bytesToHex(signer.secretKey)}`)
  const book = createReceiptBook({ account, domain, budget: 10_000n })
  const inner = receiptBookIssuer({ book, domain })
  const payment = { chainId: 31337, contract: domain.verifyingContract, token, payee, payeeProof: '0x' + '00'.repeat(65), creditLimit: '0' }
  const receipts: ReceiptIssuer = { issue: (r) => inner.issue({ ...r, payment }) }
  const client = createTestClient({ relays: [relay.url], signer, receipts })
  t.after(() => client.close())
  await waitForLive(client, [node.pubkey])

  const first = await client.complete({ model: 'llama3', messages })
  const second = await client.complete({ model: 'llama3', messages })
  assert.ok(first.cost > 0n)
  assert.equal(client.spent, first.cost + second.cost)

  const pool = createRelayPool({ urls: [relay.url], WebSocket: WebSocket as unknown as WebSocketConstructor })
  t.after(() => pool.close())
  await pool.ready()
  const events = await pool.query([{ kinds: [kinds.Receipt], '#p': [node.pubkey] }])
  assert.equal(events.length, 2)
  const cumulatives = (
    await Promise.all(
      events.map(async (e) => {
        assert.ok(parseReceiptEvent(e).ok)
        const voucher = await decryptReceiptEvent(e, node.signer)
        assert.ok(voucher.ok)
        const data = voucher.data as Record<string, unknown>
        assert.equal(data.payer, account.address)
        return BigInt(String(data.cumulative))
      }),
    )
  ).sort((a, b) => (a < b ? -1 : 1))
  assert.deepEqual(cumulatives, [first.cost, first.cost + second.cost])
})

test('budget: a job that could overspend is refused before it is sent', async (t) => {
  const relay = await startRelay()
  t.after(() => relay.close())
  const fake = await startFakeOllama({ models: ['llama3'] })
  t.after(() => fake.close())
  const node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, price: onePerToken })
  t.after(() => node.stop())
  const client = createTestClient({ relays: [relay.url], budget: 100n })
  t.after(() => client.close())
  await waitForLive(client, [node.pubkey])

  const first = await client.complete({ model: 'llama3', messages, params: { max_tokens: 40 } })
  assert.ok(first.cost > 0n && first.cost <= 100n)
  assert.equal(fake.stats.chats, 1)
  await assert.rejects(client.complete({ model: 'llama3', messages, params: { max_tokens: 40 } }), (err: unknown) => {
    assert.ok(err instanceof BudgetExceededError)
    assert.equal(err.budget, 100n)
    assert.equal(err.spent, first.cost)
    assert.ok(err.needed > 100n - first.cost)
    return true
  })
  assert.equal(fake.stats.chats, 1)
  assert.equal(client.spent, first.cost)
})

test("excludeFailedNodes 'request' (the gateway's shared client): a failed result excludes the node from that request only", async (t) => {
  // Issue 17: a gateway is one client for every caller; one caller's request that failed verification used to take
  // the node out of routing for all of them (503 "every node is busy…" after the 502).
  const relay = await startRelay()
  t.after(() => relay.close())
  const liar = await startLyingNode({ relays: [relay.url], model: 'llama3', price: onePerToken, lie: 'hash' })
  t.after(() => liar.close())
  const client = createTestClient({ relays: [relay.url], receipts: spyIssuer(), excludeFailedNodes: 'request' })
  t.after(() => client.close())
  for (let i = 0; i < 2; i++) {
    await assert.rejects(client.complete({ model: 'llama3', messages, routing: { pin: liar.pubkey } }), ResultVerificationError)
    assert.equal(client.badNodes.size, 0)
  }
  // The second request reached the node again instead of finding no candidate.
  assert.equal(liar.jobs, 2)
})
