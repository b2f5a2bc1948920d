// End to end, payments. Processes: anvil, our relay and two priced node agents are SPAWNED (the nodes configured
// for the settlement contract); the third-party relay, fake backends and the paying SDK client run in this
// process; `infernet payout` is spawned with each node's INFERNET_HOME and the chain env. 100 paid jobs, then
// payout: for each node, sum of the amounts in the verified result events = the client's newest cumulative
// receipt = the contract's `claimed` = the payee's balance change + the gas its payout transactions used.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { waitForLive } from '../helpers/client.ts'
import { model, newMarker, waitFor } from '../helpers/network.ts'
import { claimedOnChain, gasPaid, startPaidNetwork, type PaidNetwork } from './paidNetwork.ts'

const jobs = Number(process.env.E2E_PAID_JOBS ?? 100)

describe('e2e: paid jobs, then infernet payout', () => {
  let paid: PaidNetwork
  before(async () => {
    paid = await startPaidNetwork({
      nodes: [
        { name: 'paid-a', price: { input: '1000000', output: '3000000' } },
        { name: 'paid-b', backend: 'vllm', price: { input: '2000000', output: '5000000' } },
      ],
    })
  })
  after(() => paid?.close())

  it(`${jobs} paid jobs: results = receipts = claimed on chain = balance delta + gas`, async () => {
    const { actor, book, client } = await paid.payer('e2e-payer')
    const nodes = paid.net.nodes
    await waitForLive(client, nodes.map((n) => n.pubkey), { model, timeoutMs: 10_000 })
    const sums = nodes.map(() => 0n)
    const markers: string[] = []
    for (let i = 0; i < jobs; i++) {
      const k = i % nodes.length
      const marker = newMarker()
      markers.push(marker)
      const r = await client.complete({ model, messages: [{ role: 'user', content: `paid job ${i} ${marker}` }], routing: { pin: nodes[k]!.pubkey } })
      assert.ok(r.cost > 0n)
      sums[k]! += r.cost
    }
    for (const m of markers) assert.equal(paid.net.backendCalls(m), 1)
    assert.equal(client.spent, sums.reduce((a, b) => a + b, 0n))

    for (const [k, payee] of paid.payees.entries()) {
      assert.equal(book.owed(payee), sums[k], 'the client signed receipts for exactly the verified results')
      // The node's wallet has the newest receipt once the last receipt frame / event arrived.
      const plan = await waitFor(async () => {
        const dry = await paid.payout(k, ['--dry-run'])
        const row = dry.rows.find((r) => r.payer.toLowerCase() === actor.address.toLowerCase())
        return row && BigInt(row.cumulative) === sums[k] && dry
      }, `node ${k}'s wallet holds the newest receipt`, 20_000)
      assert.equal(plan.rows.length, 1)

      const before = await paid.chain.balanceOf('0x0000000000000000000000000000000000000000', payee)
      const result = await paid.payout(k)
      const row = result.rows.find((r) => r.payer.toLowerCase() === actor.address.toLowerCase())!
      assert.equal(row.status, 'redeemed')
      const total = result.totals.find((t) => BigInt(t.amount) > 0n)!
      assert.equal(BigInt(total.amount), sums[k])
      const after = await paid.chain.balanceOf('0x0000000000000000000000000000000000000000', payee)
      const gas = await gasPaid(paid, total.transactions)
      assert.ok(gas > 0n)
      assert.equal(await claimedOnChain(paid, actor.address, payee), sums[k], 'claimed on chain')
      assert.equal(after - before + gas, sums[k], 'payee balance delta + gas = receipts')
      // A second payout finds nothing left.
      const again = await paid.payout(k)
      assert.equal(again.totals.reduce((s, t) => s + BigInt(t.amount), 0n), 0n)
    }
  })
})
