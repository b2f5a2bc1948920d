// End to end, bounded soak. Processes: anvil, our relay and three priced node agents are SPAWNED; the
// third-party relay, fake backends and the SDK clients run in this process. E2E_SOAK_CLIENTS concurrent clients
// (default 20; each its own key, escrow and receipt book) send jobs back to back for E2E_SOAK_SECONDS (default
// 15) while two of the nodes are SIGKILLed and restarted at random. Afterwards: every job either completed or
// ended with a typed error (BaseError with a code); no job ran twice (backend requests per prompt marker <= the
// jobs the client started for it); the never-killed node's RSS stayed flat; every receipt redeems (for each
// node and payer, `infernet payout` claims exactly the newest cumulative the client signed).
// The issue's full size, run directly (npm run test:unit gives each file 120 s):
//   E2E_SOAK_CLIENTS=200 E2E_SOAK_SECONDS=60 node --import tsx --test test/e2e/soak.test.ts   (see minOkRatio below)
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { InfernetClient } from '../../client/client.ts'
import type { ReceiptBook } from '../../client/payments/receiptBook.ts'
import { BaseError } from '../../src/errors/base.ts'
import { waitForLive } from '../helpers/client.ts'
import { model, newMarker, rssKb, waitFor, type NetworkNode } from '../helpers/network.ts'
import type { Actor } from '../payments/chain.ts'
import { claimedOnChain, startPaidNetwork, type PaidNetwork } from './paidNetwork.ts'

const clientCount = Number(process.env.E2E_SOAK_CLIENTS ?? 20)
const seconds = Number(process.env.E2E_SOAK_SECONDS ?? 15)
const maxAttempts = 4
// Share of jobs that must complete. At the default size only the kills disturb the network; far beyond what the
// machine can serve (E2E_SOAK_CLIENTS=200 on 2 cores) the nodes saturate and most jobs fail typed (busy nodes drop
// off the market): then lower it (E2E_SOAK_MIN_OK_RATIO=0) and keep the other checks.
const minOkRatio = Number(process.env.E2E_SOAK_MIN_OK_RATIO ?? 0.8)
// Setup funds one escrow channel per client and node; the checks run `infernet payout` per node.
const setupTimeout = 60_000 + clientCount * 1500
const testTimeout = 120_000 + seconds * 1000 + clientCount * 500

type Outcome = { marker: string; ok: boolean; attempts: number; code?: string | undefined }

describe(`e2e: soak, ${clientCount} clients for ${seconds} s with nodes killed at random`, () => {
  let paid: PaidNetwork
  let payers: { actor: Actor; book: ReceiptBook; client: InfernetClient }[] = []
  before(async () => {
    // Sized so that two nodes can hold every client's job (slots + queue): 'busy' is not what this test is about.
    const args = ['--max-concurrency', '16', '--max-queue', String(clientCount * 2)]
    paid = await startPaidNetwork({
      nodes: [
        { name: 'steady', ttftMs: 20, tokensPerSecond: 200, price: { input: '1000', output: '2000' }, args },
        { name: 'flaky-1', ttftMs: 50, tokensPerSecond: 100, price: { input: '500', output: '1000' }, args },
        { name: 'flaky-2', backend: 'vllm', ttftMs: 10, tokensPerSecond: 300, price: { input: '1500', output: '2500' }, args },
      ],
    })
    payers = []
    for (let i = 0; i < clientCount; i++) payers.push(await paid.payer(`soak-${i}`, { maxAttempts, acceptTimeoutMs: 3000, firstTokenTimeoutMs: 8000 }))
    await Promise.all(payers.map((p) => waitForLive(p.client, paid.net.nodes.map((n) => n.pubkey), { model, timeoutMs: 20_000 })))
  }, { timeout: setupTimeout })
  after(() => paid?.close())

  it('every job completes or fails typed, none runs twice, RSS flat, every receipt redeems', { timeout: testTimeout }, async (t) => {
    const [steady, ...flaky] = paid.net.nodes as [NetworkNode, NetworkNode, NetworkNode]
    const outcomes: Outcome[] = []
    const untyped: unknown[] = []
    const firstError = new Map<string, string>()
    const deadline = Date.now() + seconds * 1000
    const warmupEnd = Date.now() + Math.min(3000, (seconds * 1000) / 4)
    let rssBefore = 0
    let kills = 0
    const killLog: string[] = []
    const restartFailures: string[] = []

    const chaos = (async () => {
      while (Date.now() < deadline - 1500) {
        await new Promise((r) => setTimeout(r, 1000 + Math.random() * 2000))
        if (Date.now() >= deadline - 1500) break
        const victim = flaky[Math.floor(Math.random() * flaky.length)]!
        killLog.push(`${victim.spec.name} at +${((Date.now() - deadline) / 1000 + seconds).toFixed(1)} s`)
        await victim.kill('SIGKILL')
        kills++
        await new Promise((r) => setTimeout(r, 200 + Math.random() * 800))
        // On a saturated machine a restart can miss its ready line: note it, retry after the load.
        await victim.restart().catch((err: unknown) => restartFailures.push((err as Error).message.split('\n')[0]!))
      }
    })()
    const rssSampler = (async () => {
      await new Promise((r) => setTimeout(r, Math.max(0, warmupEnd - Date.now())))
      rssBefore = rssKb(steady.process.child.pid!)
    })()

    await Promise.all(
      payers.map(async ({ client }, i) => {
        let n = 0
        while (Date.now() < deadline) {
          const marker = newMarker()
          try {
            const r = await client.complete({ model, messages: [{ role: 'user', content: `soak ${i}/${n++} ${marker}` }] })
            assert.ok(r.text.length > 0)
            outcomes.push({ marker, ok: true, attempts: r.jobs.length })
          } catch (err) {
            if (err instanceof BaseError && typeof err.code === 'string' && err.code.length > 0) {
              outcomes.push({ marker, ok: false, attempts: maxAttempts, code: err.code })
              if (!firstError.has(err.code)) firstError.set(err.code, `at +${((Date.now() - deadline) / 1000 + seconds).toFixed(1)} s: ${err.message.split('\n').slice(0, 6).join(' | ')}`)
            } else untyped.push(err)
            // A failed job is not retried in a tight loop.
            await new Promise((r) => setTimeout(r, 100))
          }
        }
      }),
    )
    await chaos
    await rssSampler
    for (const node of flaky) if (!node.alive()) await node.restart()
    // Restarted nodes may see job requests again on the relays: give them time to (not) run them twice.
    await new Promise((r) => setTimeout(r, 1500))
    const rssAfter = rssKb(steady.process.child.pid!)

    const ok = outcomes.filter((o) => o.ok).length
    const codes = new Map<string, number>()
    for (const o of outcomes) if (o.code) codes.set(o.code, (codes.get(o.code) ?? 0) + 1)
    t.diagnostic(`jobs ${outcomes.length + untyped.length}: ok ${ok}, typed errors ${JSON.stringify(Object.fromEntries(codes))}, untyped ${untyped.length}; node kills ${kills}; steady node RSS ${rssBefore} kB -> ${rssAfter} kB`)

    for (const [code, message] of firstError) t.diagnostic(`first ${code}: ${message}`)
    if (restartFailures.length) t.diagnostic(`restarts that missed their ready line under load (retried after the run): ${restartFailures.join('; ')}`)
    t.diagnostic(`kills: ${killLog.join(', ')}; nodes: ${paid.net.nodes.map((n) => `${n.spec.name}=${n.pubkey.slice(0, 12)}`).join(' ')}`)
    assert.deepEqual(untyped.map(String), [], 'every failure is a typed error')
    assert.ok(ok > 0, 'jobs completed')
    assert.ok(ok >= outcomes.length * minOkRatio, `at least ${minOkRatio * 100}% of the jobs complete despite the kills`)
    for (const o of outcomes) {
      const calls = paid.net.backendCalls(o.marker)
      assert.ok(calls <= o.attempts, `job ${o.marker} ran ${calls} times for ${o.attempts} attempt(s)`)
      if (o.ok) assert.ok(calls >= 1)
    }
    // RSS: no leak proportional to the jobs served (generous bound: GC timing varies).
    assert.ok(rssAfter < rssBefore * 1.5 + 64 * 1024, `steady node RSS ${rssBefore} kB -> ${rssAfter} kB`)
  })

  // Known bug (node/walletPaymentGate.ts): the jobs a receipt may pay (`due`) live only in memory, so a node killed
  // between sending a result and receiving its receipt refuses that receipt after the restart ("unknown job"), and
  // every later receipt of that client too (the cumulative then jumps by more than one job: wrong-increment).
  // Nodes persist what is due (node/paymentLedger.ts), so a receipt for a job served before a kill is accepted, and
  // receipts that a restarted node reads back from relays out of order wait until their predecessor is accepted.
  it('every receipt redeems (each node claims exactly what each client signed to it)', { timeout: testTimeout }, async () => {
    assert.ok(payers.length > 0, 'the soak ran')
    for (const [k, payee] of paid.payees.entries()) {
      const expected = new Map(payers.map((p) => [p.actor.address.toLowerCase(), p.book.owed(payee)]))
      const owed = [...expected.values()].reduce((a, b) => a + b, 0n)
      if (owed === 0n) continue
      let missing: string[] = []
      await waitFor(async () => {
        const dry = await paid.payout(k, ['--dry-run'])
        const held = (payer: string) => BigInt(dry.rows.find((r) => r.payer.toLowerCase() === payer)?.cumulative ?? 0)
        missing = [...expected].filter(([payer, amount]) => amount !== 0n && held(payer) !== amount).map(([payer, amount]) => `${payer.slice(0, 10)}: signed ${amount}, wallet ${held(payer)}`)
        return missing.length === 0
      }, `node ${k}'s wallet holds every client's newest receipt`, 10_000).catch((err: Error) => {
        throw new Error(`${err.message}; ${missing.length} payer(s) behind: ${missing.slice(0, 5).join('; ')}`)
      })
      const result = await paid.payout(k)
      assert.equal(result.totals.reduce((s, x) => s + BigInt(x.amount), 0n), owed, `node ${k} redeemed everything it is owed`)
      for (const p of payers) assert.equal(await claimedOnChain(paid, p.actor.address, payee), p.book.owed(payee))
    }
  })
})
