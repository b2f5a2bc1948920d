// API-key budgets hold under concurrency (a request's worst case is held before its job, charged on its result,
// freed on failure) and spending outlives the coordinator's cache: it lives in its own file (issue 15, items 1, 11).
import assert from 'node:assert/strict'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { openApiKeyUsage } from '../../src/coordinator/apiKeyUsage.ts'
import { createApiKeyStore } from '../../src/coordinator/apiKeys.ts'
import { createCoordinator } from '../../src/coordinator/app.ts'
import { openCoordinatorDb } from '../../src/coordinator/db.ts'
import { CoordinatorHttpError } from '../../src/coordinator/errors.ts'
import { affordableMaxTokens, planRequestBudget, priceCeiling, worstCaseCost } from '../../src/coordinator/gateway/budget.ts'
import type { GatewayNetwork } from '../../src/coordinator/gateway/network.ts'
import { tempDir } from '../helpers/coordinator.ts'
import { fakeNode } from './fixtures.ts'

const bearer = (key: string) => `Bearer ${key}`

describe('API key budget holds (apiKeys.ts)', () => {
  it('a hold is refused once what is spent and held leaves too little; settle charges, release frees, twice is a no-op', () => {
    const keys = createApiKeyStore({ keys: [{ key: 'sk-hold-00000', budget: '100' }] })
    const state = keys.authorize(bearer('sk-hold-00000'))!
    const a = keys.reserve(state, 60n)
    assert.throws(() => keys.reserve(state, 41n), (err: unknown) => {
      assert.ok(err instanceof CoordinatorHttpError)
      assert.equal(err.wireCode, 'insufficient_quota')
      assert.match(err.shortMessage, /could cost up to 41.*has 40 left \(60 more is held by its requests in flight\)/)
      return true
    })
    const b = keys.reserve(state, 40n)
    assert.equal(keys.available(state), 0n)
    assert.throws(() => keys.authorize(bearer('sk-hold-00000')), /quota/, 'a key whose budget is all held takes no new request')
    keys.settle(a, 7n)
    keys.settle(a, 7n)
    keys.release(b)
    keys.release(b)
    assert.equal(state.spent, 7n)
    assert.equal(state.reserved, 0n)
    assert.equal(keys.available(state), 93n)
    // Keys without a budget hold nothing and are charged what they cost.
    const open = createApiKeyStore({ keys: [{ key: 'sk-open-00000' }] })
    const o = open.authorize(bearer('sk-open-00000'))!
    const h = open.reserve(o, 10n ** 30n)
    open.settle(h, 5n)
    assert.equal(o.spent, 5n)
  })

  it('worst case: prompt bytes plus template overhead and max_tokens at the dearest candidate; a budgeted key without max_tokens gets what it affords', () => {
    const price = { input: '50000', output: '200000' }
    // The job: 128,000 output tokens at 200 base units a token.
    assert.equal(worstCaseCost({ promptBytes: 0, maxTokens: 128_000, price: { input: '0', output: '200000000' } }), 25_600_000n)
    assert.equal(worstCaseCost({ promptBytes: 488, maxTokens: 0, price }), 50n)
    assert.equal(affordableMaxTokens({ promptBytes: 488, price, available: 70n }), 100)
    assert.equal(affordableMaxTokens({ promptBytes: 488, price, available: 49n }), 0)
    assert.equal(affordableMaxTokens({ promptBytes: 488, price: { input: '1', output: '0' }, available: 1n }), Infinity)
    assert.deepEqual(planRequestBudget({ promptBytes: 488, maxTokens: undefined, price, available: 70n, defaultMaxTokens: 4096 }), { maxTokens: 100, worstCase: 70n })
    assert.deepEqual(planRequestBudget({ promptBytes: 488, maxTokens: undefined, price, available: 10n ** 12n, defaultMaxTokens: 4096 }), { maxTokens: 4096, worstCase: 870n })
    assert.equal(planRequestBudget({ promptBytes: 488, maxTokens: undefined, price, available: 1n, defaultMaxTokens: 4096 }).maxTokens, 1, 'at least 1: the hold refuses it')
    assert.equal(planRequestBudget({ promptBytes: 488, maxTokens: undefined, price, available: undefined, defaultMaxTokens: 4096 }).maxTokens, undefined, 'no budget: unchanged')
    assert.equal(planRequestBudget({ promptBytes: 488, maxTokens: 7, price, available: 1n, defaultMaxTokens: 4096 }).maxTokens, 7, "the caller's max_tokens stands")
    assert.deepEqual(priceCeiling([{ input: '5', output: '1' }, { input: '2', output: '9' }]), { input: '5', output: '9' })
    assert.equal(priceCeiling([]), undefined)
  })
})

/** A network whose every chat costs `cost` once `release()` is called (so requests overlap). */
function costingNetwork(cost: bigint) {
  const waiting: (() => void)[] = []
  const budgets: (bigint | undefined)[] = []
  const network: GatewayNetwork = {
    chat(params) {
      budgets.push(params.budget)
      const result = new Promise<void>((resolve) => waiting.push(resolve)).then(() => ({
        text: 'ok',
        usage: { promptTokens: 1, completionTokens: 1 },
        model: params.model,
        finishReason: 'stop',
        node: 'n'.repeat(64),
        cost,
      }))
      return {
        result,
        cancel() {},
        async *[Symbol.asyncIterator]() {
          const r = await result
          yield { type: 'delta' as const, text: r.text }
        },
      }
    },
    close: async () => {},
  }
  return { network, budgets, release: () => waiting.splice(0).forEach((r) => r()), pending: () => waiting.length }
}

describe('API key spending through the gateway (app.request)', () => {
  const chatBody = JSON.stringify({ model: 'llama3', messages: [{ role: 'user', content: 'spend' }], max_tokens: 10 })

  it('concurrent requests are held at their worst case, the SDK is capped at it, and only what fits runs', async (t) => {
    const dir = tempDir()
    t.after(() => dir.remove())
    const { network, budgets, release, pending } = costingNetwork(3n)
    // Priced 1,000,000 per million output tokens: max_tokens 10 costs at most 10 + the prompt's worst case.
    const coord = createCoordinator({ relays: [], dbPath: join(dir.path, 'c.db'), network, apiKeys: [{ key: 'sk-conc-00000', budget: '40' }] })
    t.after(() => coord.close())
    for (const e of (await fakeNode('budget-node', { price: { input: '1000', output: '1000000' } })).events) coord.indexer.ingest(e)
    coord.indexer.flush()
    const worst = worstCaseCost({ promptBytes: JSON.stringify([{ role: 'user', content: 'spend' }]).length, maxTokens: 10, price: { input: '1000', output: '1000000' } })
    assert.equal(worst, 11n)
    let answered = 0
    const responses = Array.from({ length: 10 }, () =>
      Promise.resolve(coord.app.request('/v1/chat/completions', { method: 'POST', body: chatBody, headers: { authorization: bearer('sk-conc-00000') } })).then((r) => {
        answered++
        return r
      }),
    )
    // Three holds of 11 fit in 40; the seven others are refused while those three are in flight.
    while (pending() + answered < 10) await new Promise((r) => setImmediate(r))
    assert.equal(pending(), 3)
    release()
    const statuses = await Promise.all(responses.map(async (r) => (await r).status))
    assert.deepEqual(statuses.filter((s) => s === 200).length, 3)
    assert.ok(statuses.every((s) => s === 200 || s === 429), statuses.join(','))
    assert.deepEqual(budgets, [11n, 11n, 11n], "the SDK's per-request budget is the hold")
    const [usage] = coord.keys.list()
    assert.equal(usage!.spent, '9')
    assert.equal(usage!.reserved, '0')
  })

  it('spending survives deleting the cache and a restart; spending an older version kept in the cache is carried over', async (t) => {
    const dir = tempDir()
    t.after(() => dir.remove())
    const dbPath = join(dir.path, 'cache', 'coordinator.db')
    const usagePath = join(dir.path, 'home', 'api-usage.sqlite')
    const apiKeys = [{ key: 'sk-persist-000', budget: '1000' }]
    const start = async (network: GatewayNetwork) => {
      const coord = createCoordinator({ relays: [], dbPath, usagePath, network, apiKeys })
      for (const e of (await fakeNode('persist-node', { price: { input: '0', output: '1000000' } })).events) coord.indexer.ingest(e)
      coord.indexer.flush()
      return coord
    }
    const first = costingNetwork(7n)
    let coord = await start(first.network)
    const res = coord.app.request('/v1/chat/completions', { method: 'POST', body: chatBody, headers: { authorization: bearer('sk-persist-000') } })
    while (first.pending() < 1) await new Promise((r) => setImmediate(r))
    first.release()
    assert.equal((await res).status, 200)
    assert.equal(coord.keys.list()[0]!.spent, '7')
    await coord.close()
    // The cache is rebuildable and its owner may delete it: spending must not go with it.
    for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true })
    assert.equal(existsSync(dbPath), false)
    coord = await start(costingNetwork(0n).network)
    assert.equal(coord.keys.list()[0]!.spent, '7')
    assert.equal(coord.keys.list()[0]!.requests, 1)
    await coord.close()

    // A cache written by a version that kept spending there: its figure moves into the usage file once.
    const legacyPath = join(dir.path, 'legacy', 'coordinator.db')
    const legacy = openCoordinatorDb(legacyPath)
    const id = bytesToHex(sha256(new TextEncoder().encode('sk-persist-000'))).slice(0, 32)
    legacy.db.prepare('INSERT INTO api_usage (key_id, spent, requests) VALUES (?, ?, ?)').run(id, '123', 4)
    legacy.close()
    const legacyUsage = join(dir.path, 'legacy-home', 'api-usage.sqlite')
    const carried = createCoordinator({ relays: [], dbPath: legacyPath, usagePath: legacyUsage, apiKeys, config: { gateway: false } })
    assert.equal(carried.keys.list()[0]!.spent, '123')
    await carried.close()
    const store = openApiKeyUsage(legacyUsage)
    assert.deepEqual(store.get(id), { spent: 123n, requests: 4 })
    store.close()
  })
})
