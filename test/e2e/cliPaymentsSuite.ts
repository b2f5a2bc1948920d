// `infernet chat` pays, as a user runs it: a client home funded on anvil, `infernet deposit` to a priced spawned
// node, then 20 `infernet chat` processes one after another (each continues the receipt sequence the one before
// left in <home>/receipts.sqlite), then the node's `infernet payout`: the chain shows exactly the sum of what the
// chats printed as paid. Around it: a deposit too small is refused before any job is sent, a home with no settlement
// contract is told its job went unpaid, and a node that serves only paid work gets a payment hint, not a timeout one;
// `infernet audit --pay-from` pays such a node for the audit's jobs from another home.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import { bytesToHex, type Address } from 'viem'
import { npubEncode } from 'nostr-tools/nip19'
import { identityFromSecretKey, keyPath, loadIdentity, saveIdentity } from '../../src/keys/identity.ts'
import { generateSecretKey } from 'nostr-tools/pure'
import { tempDir } from '../helpers/coordinator.ts'
import { defaultReply, model, newMarker, waitFor } from '../helpers/network.ts'
import { startFakeOpenAI } from '../helpers/fakeBackends/openai.ts'
import { claimedOnChain, startPaidNetwork, type PaidNetwork } from './paidNetwork.ts'

const bin = new URL('../../bin/infernet.js', import.meta.url).pathname
const chats = 20

type Run = { code: number; stdout: string; stderr: string }
type ChatJson = { result: { cost: string; node: string; text: string }; payment: { paid: boolean; cumulative?: string; jobCount?: string; deposit?: string; left?: string; prepaid?: string; reason?: string } }

/** The suite runs in two files (each under the runner's per-file timeout on a loaded 2-core box): the 20-process
 * sequence alone, and the rest. */
export type CliPaymentsPart = 'sequence' | 'edges'

export function cliPaymentsSuite(part: CliPaymentsPart): void {
describe(`e2e: infernet chat pays from its channel (${part})`, () => {
  const only = (p: CliPaymentsPart) => (p === part ? it : ((() => undefined) as unknown as typeof it))
  let paid: PaidNetwork
  let dir: ReturnType<typeof tempDir>
  let chainEnv: Record<string, string>
  before(async () => {
    paid = await startPaidNetwork({
      nodes: [
        { name: 'cli-priced', price: { input: '1000000', output: '3000000' } },
        // Serves only work a receipt has paid for ahead: the SDK pays after each job, so it is refused.
        { name: 'cli-strict', price: { input: '1000000', output: '3000000' }, env: { INFERNET_CREDIT_LIMIT: '0' } },
      ],
    })
    dir = tempDir('infernet-cli-pay-')
    chainEnv = { INFERNET_CHAIN_RPC: paid.chain.anvil.rpcUrl, INFERNET_CHAIN_ID: String(paid.chain.anvil.chainId), INFERNET_SETTLEMENT_ADDRESS: paid.chain.settlement }
  })
  after(async () => {
    dir?.remove()
    await paid?.close()
  })

  /** A client home with its own key, its payment address funded on anvil. */
  async function newHome(name: string): Promise<{ home: string; payer: Address }> {
    const home = `${dir.path}/${name}`
    const identity = identityFromSecretKey(generateSecretKey())
    saveIdentity(keyPath(home), identity)
    const actor = await paid.chain.actor(bytesToHex(identity.paymentSecretKey))
    return { home, payer: actor.address }
  }

  function cli(home: string, args: string[], env: Record<string, string> = chainEnv): Promise<Run> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [bin, ...args, '--relay', ...paid.net.relays],
        { env: { ...process.env, INFERNET_HOME: home, INFERNET_LOG_LEVEL: 'warn', ...env }, timeout: 60_000 },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      )
    })
  }
  const lastJson = <T>(r: Run): T => JSON.parse(r.stdout.trim().split('\n').at(-1)!) as T
  const npubOf = (i: number) => npubEncode(paid.net.nodes[i]!.pubkey)

  only('sequence')(`deposit, ${chats} paid chats in separate processes, payout: the chain shows exactly their sum`, async () => {
    const { home, payer } = await newHome('payer')
    const depositAmount = 10n ** 15n
    const dep = await cli(home, ['deposit', String(depositAmount), '--node', npubOf(0), '--json'])
    assert.equal(dep.code, 0, dep.stderr)

    let sum = 0n
    for (let i = 1; i <= chats; i++) {
      const run = await cli(home, ['chat', `paid chat ${i} ${newMarker()}`, '--model', model, '--routing', `pin:${npubOf(0)}`, '--json'])
      assert.equal(run.code, 0, run.stderr)
      const { result, payment } = lastJson<ChatJson>(run)
      assert.ok(BigInt(result.cost) > 0n)
      sum += BigInt(result.cost)
      assert.equal(payment.paid, true, payment.reason)
      assert.equal(payment.jobCount, String(i), 'each process continues the sequence of the one before')
      assert.equal(payment.cumulative, String(sum))
      assert.equal(payment.left, String(depositAmount - sum))
    }
    // What a person reads: paid, the receipt's number, what the deposit has left, in the coin's units.
    const text = await cli(home, ['chat', 'one more, read by a person', '--model', model, '--routing', `pin:${npubOf(0)}`])
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stderr, /paid [\d.]+ (gwei|wei|ETH) \([\d.]+ (gwei|wei|ETH) of your 0\.001 ETH deposit signed over; [\d.]+ (gwei|ETH) left\)/)
    const afterText = lastJson<ChatJson>(await cli(home, ['chat', 'and the last', '--model', model, '--routing', `pin:${npubOf(0)}`, '--json']))
    const total = BigInt(afterText.payment.cumulative!)
    assert.equal(afterText.payment.jobCount, '22')

    const payee = paid.payees[0]!
    await waitFor(async () => {
      const dry = await paid.payout(0, ['--dry-run'])
      return dry.rows.some((r) => r.payer.toLowerCase() === payer.toLowerCase() && BigInt(r.cumulative) === total)
    }, "the node's wallet holds the newest receipt")
    const result = await paid.payout(0)
    const row = result.rows.find((r) => r.payer.toLowerCase() === payer.toLowerCase())!
    assert.equal(row.status, 'redeemed')
    assert.equal(await claimedOnChain(paid, payer, payee), total, 'claimed on chain = the sum of every paid chat')
  })

  only('edges')('a node that serves only prepaid work (credit limit 0) is paid ahead: chats work, the chain shows what was signed', async () => {
    const { home, payer } = await newHome('prepaid')
    const depositAmount = 10n ** 15n
    assert.equal((await cli(home, ['deposit', String(depositAmount), '--node', npubOf(1)])).code, 0)
    let sum = 0n
    let last: ChatJson['payment'] | undefined
    for (const [i, flags] of [['--max-tokens', '16'], ['--max-tokens', '64'], []].entries()) {
      const marker = newMarker()
      const run = await cli(home, ['chat', `prepaid chat ${i} ${marker}`, '--model', model, '--routing', `pin:${npubOf(1)}`, '--json', ...flags])
      assert.equal(run.code, 0, run.stderr)
      const { result, payment } = lastJson<ChatJson>(run)
      assert.equal(paid.net.backendCalls(marker), 1)
      sum += BigInt(result.cost)
      assert.equal(payment.paid, true, payment.reason)
      // Everything signed over = the jobs' costs + what is paid ahead and not used yet.
      assert.equal(BigInt(payment.cumulative!), sum + BigInt(payment.prepaid!))
      last = payment
    }
    const total = BigInt(last!.cumulative!)
    await waitFor(async () => {
      const dry = await paid.payout(1, ['--dry-run'])
      return dry.rows.some((r) => r.payer.toLowerCase() === payer.toLowerCase() && BigInt(r.cumulative) === total)
    }, "the strict node's wallet holds the newest prepaid receipt")
    await paid.payout(1)
    assert.equal(await claimedOnChain(paid, payer, paid.payees[1]!), total)
  })

  only('edges')('a deposit too small for the job is refused before anything is sent', async () => {
    const { home } = await newHome('small')
    assert.equal((await cli(home, ['deposit', '1', '--node', npubOf(0)])).code, 0)
    const marker = newMarker()
    const run = await cli(home, ['chat', `too dear ${marker}`, '--model', model, '--routing', `pin:${npubOf(0)}`])
    assert.notEqual(run.code, 0)
    assert.match(run.stderr, /Your deposit to node [0-9a-f]{12}… has 1 base units left, and this job could cost up to \d+: it was not sent\./)
    assert.match(run.stderr, /infernet deposit <amount> --node <npub>/)
    assert.equal(paid.net.backendCalls(marker), 0)
  })

  only('edges')('with no settlement contract configured the footer says the job was not paid, and why', async () => {
    const { home } = await newHome('unconfigured')
    const run = await cli(home, ['chat', 'on credit', '--model', model, '--routing', `pin:${npubOf(0)}`], {})
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stderr, /cost [\d.]+ \w+, NOT paid: no settlement contract configured \(set INFERNET_SETTLEMENT_ADDRESS/)
  })

  only('edges')('a node that serves only prepaid work: a payment hint, not a timeout one', async () => {
    const { home } = await newHome('strict')
    const run = await cli(home, ['chat', 'refused', '--model', model, '--routing', `pin:${npubOf(1)}`], {})
    assert.notEqual(run.code, 0)
    assert.match(run.stderr, /A node wants to be paid: fund a channel to it/)
    assert.doesNotMatch(run.stderr, /acceptTimeoutMs/)
  })
  only('edges')('infernet audit pays a node that serves only prepaid work with --pay-from; without it the node refuses and nothing is published', async () => {
    // The reference engine: the same fake answer the node's engine gives.
    const reference = await startFakeOpenAI({ flavor: 'vllm', models: [model], reply: defaultReply })
    try {
      const auditorHome = `${dir.path}/auditor`
      const { home: payerHome, payer } = await newHome('audit-payer')
      assert.equal((await cli(payerHome, ['deposit', String(10n ** 15n), '--node', npubOf(1)])).code, 0)
      const audit = ['audit', '--node', npubOf(1), '--model', model, '--reference-url', reference.url, '--method', 'greedy-prefix', '--jobs', '2', '--json']
      const unpaid = await cli(auditorHome, audit)
      assert.notEqual(unpaid.code, 0)
      assert.match(unpaid.stderr, /audit job 1 was refused by the node \(payment\): nothing was compared, so no verdict/)
      assert.equal(unpaid.stdout.trim(), '', 'no verdict printed')

      const run = await cli(auditorHome, [...audit, '--pay-from', payerHome])
      assert.equal(run.code, 0, run.stderr)
      const out = lastJson<{ verdict: string; score: number; jobs: unknown[]; payment: ChatJson['payment'] & { payee?: string }; event: { pubkey: string } }>(run)
      assert.equal(out.verdict, 'pass', `score ${out.score}`)
      assert.equal(out.jobs.length, 2)
      assert.equal(out.payment.paid, true, out.payment.reason)
      assert.ok(BigInt(out.payment.cumulative!) > 0n)
      // Signed by the auditor's home, paid from the other one's channel: the jobs' key is not the auditor's.
      assert.equal(out.event.pubkey, loadIdentity(keyPath(auditorHome)).pubkey)
      assert.notEqual(loadIdentity(keyPath(payerHome)).pubkey, out.event.pubkey)
      await waitFor(async () => (await paid.payout(1, ['--dry-run'])).rows.some((r) => r.payer.toLowerCase() === payer.toLowerCase() && BigInt(r.cumulative) === BigInt(out.payment.cumulative!)), "the node's wallet holds the audit's receipt")
    } finally {
      await reference.close()
    }
  })
})
}
