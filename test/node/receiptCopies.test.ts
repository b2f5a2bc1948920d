// A receipt arrives twice by design (a direct frame and its kind-3833 copy through relays, nips/client.md): the copy
// is not a refusal. Every receipt the gateway paid used to log "receipt refused code=not-increasing" on the node,
// because the copy was checked against the receipt it is a copy of (issue 15, low item). Real dev chain (anvil).
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { hexToBytes } from '@noble/hashes/utils.js'
import { zeroAddress } from 'viem'
import { createReceiptBook } from '../../client/payments/receiptBook.ts'
import { createReceiptWallet, type ReceiptWallet } from '../../node/wallet/receiptWallet.ts'
import { createWalletPaymentGate } from '../../node/walletPaymentGate.ts'
import { createLogger } from '../../src/log.ts'
import { deposit } from '../../src/payments/contract.ts'
import { receiptToJson } from '../../src/payments/voucher.ts'
import { buildReceiptEvent } from '../../src/protocol/receipt.ts'
import { createLocalSigner } from '../../src/signer.ts'
import { startTestChain, type TestChain } from '../payments/chain.ts'

describe('a receipt and its copy through relays', () => {
  let chain: TestChain
  let wallet: ReceiptWallet
  let dir: string
  before(async () => {
    chain = await startTestChain()
    dir = mkdtempSync(join(tmpdir(), 'infernet-copies-'))
  })
  after(async () => {
    wallet?.close()
    await chain?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  /**
   * A node's receipt gate over its wallet (`ownWallet`, as `wrap` hands it to the gate) and a funded client paying
   * it; `receiptFor` settles a job on the gate and signs its receipt, listing the jobs it covers when `listJobs`.
   */
  async function paidChannel(walletName: string, { listJobs = false, wrap = (w: ReceiptWallet) => w } = {}) {
    const nodeActor = await chain.actor()
    const payer = await chain.actor()
    const nodeSigner = createLocalSigner(hexToBytes(nodeActor.key.slice(2)))
    const client = createLocalSigner(hexToBytes(payer.key.slice(2)))
    const ownWallet = createReceiptWallet({ path: join(dir, walletName), payee: nodeActor.address, domain: chain.domain, client: nodeActor.client })
    const lines: string[] = []
    const gate = createWalletPaymentGate({ wallet: wrap(ownWallet), signer: nodeSigner, token: zeroAddress, creditLimit: 0n, logger: createLogger({ component: 'node', level: 'info', write: (l) => lines.push(l) }) })
    await deposit(payer.client, { address: chain.settlement, payee: nodeActor.address, amount: 1_000_000n })
    const book = createReceiptBook({ account: payer.account, domain: chain.domain, budget: 1_000_000n })
    const receiptFor = async (job: string, amount: bigint) => {
      await gate.settle(client.pubkey, job, amount)
      const receipt = await book.pay({ payee: nodeActor.address, jobId: job, amount })
      const voucher = receiptToJson(receipt, chain.domain, listJobs ? { jobs: book.recentJobs(nodeActor.address) } : undefined)
      return buildReceiptEvent(client, { node: nodeSigner.pubkey, job, voucher })
    }
    return { nodeActor, payer, nodeSigner, client, ownWallet, lines, gate, book, receiptFor }
  }

  it('the copy shares the first one\'s decision, at once or later, and nothing is logged as refused', async () => {
    const channel = await paidChannel('wallet.sqlite')
    const { payer, nodeSigner, client, lines, gate, book, nodeActor, receiptFor } = channel
    wallet = channel.ownWallet
    // Both copies at once, as the SDK sends them.
    const first = await receiptFor('a'.repeat(64), 7n)
    assert.deepEqual(await Promise.all([gate.acceptReceipt(first), gate.acceptReceipt(first)]), [{ ok: true }, { ok: true }])
    // The relay copy after the direct one was accepted.
    const second = await receiptFor('b'.repeat(64), 5n)
    assert.deepEqual(await gate.acceptReceipt(second), { ok: true })
    assert.deepEqual(await gate.acceptReceipt(second), { ok: true })
    assert.equal(wallet.get(payer.address, zeroAddress)?.cumulative, 12n)
    assert.deepEqual(lines.filter((l) => /refused/.test(l)), [])
    assert.equal(lines.filter((l) => /receipt accepted/.test(l)).length, 2, lines.join('\n'))
    // A different receipt is still checked: one for a job that is not due is refused, and says so.
    const forged = await buildReceiptEvent(client, { node: nodeSigner.pubkey, job: 'c'.repeat(64), voucher: receiptToJson(await book.pay({ payee: nodeActor.address, jobId: 'c'.repeat(64), amount: 1n }), chain.domain) })
    const refused = await gate.acceptReceipt(forged)
    assert.equal(refused.ok, false)
  })

  it('two successive receipts of one client checked at once are both taken, whichever the node reads first', async () => {
    // The wallet's check of the third receipt waits until the node has answered the second: the order a slower
    // chain read for one of them gives.
    let secondAnswered!: () => void
    const answered = new Promise<void>((resolve) => (secondAnswered = resolve))
    // Each receipt lists the jobs it covers, as the SDK's do while earlier ones are unacknowledged (nips/cpr.md).
    const { payer, ownWallet, lines, gate, receiptFor } = await paidChannel('wallet-concurrent.sqlite', {
      listJobs: true,
      wrap: (own) => ({
        ...own,
        accept: async (receipt, options) => {
          if (receipt.jobCount === 3n) await answered
          return own.accept(receipt, options)
        },
      }),
    })
    try {
      assert.deepEqual(await gate.acceptReceipt(await receiptFor('d'.repeat(64), 62n)), { ok: true })
      // The second and third jobs' receipts reach the node together (a direct frame and a relay copy racing).
      const second = await receiptFor('e'.repeat(64), 62n)
      const third = await receiptFor('f'.repeat(64), 62n)
      const both = Promise.all([gate.acceptReceipt(second).finally(() => secondAnswered()), gate.acceptReceipt(third)])
      assert.deepEqual(await both, [{ ok: true }, { ok: true }])
      // The later one first: it lists the one before it and pays both jobs; the earlier one then finds nothing due.
      const fourth = await receiptFor('1'.repeat(64), 62n)
      const fifth = await receiptFor('2'.repeat(64), 62n)
      const [late, earlier] = await Promise.all([gate.acceptReceipt(fifth), gate.acceptReceipt(fourth)])
      assert.deepEqual(late, { ok: true })
      assert.equal(earlier.ok, false)
      assert.match(earlier.ok ? '' : earlier.reason, /^unknown job 111111111111…: nothing is due/, 'its job was paid by the later receipt')
      assert.equal(ownWallet.get(payer.address, zeroAddress)?.cumulative, 310n, 'all five jobs paid')
      assert.equal(ownWallet.get(payer.address, zeroAddress)?.jobCount, 5n)
      assert.deepEqual(lines.filter((l) => /wrong-increment/.test(l)), [])
    } finally {
      ownWallet.close()
    }
  })
})
