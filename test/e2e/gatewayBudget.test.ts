// API-key budgets hold through the real gateway (issue 15, item 1): a coordinator with its gateway, a relay and a
// priced node (fake Ollama backend), all on loopback. 50 concurrent callers on one key spend until it refuses them:
// what the key was charged never passes its budget, and equals what the jobs cost. A key with a budget of 1 cannot
// buy a job that could cost 25,600,000 (the job never reaches the backend), and a budgeted key that sends no
// max_tokens gets a bounded one. (Before: a key of 10,000,000 spent 134,000,000 with 20 concurrent requests.)
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { amountDue } from '../../src/protocol/price.ts'
import { startCoordinator, type TestCoordinator } from '../helpers/coordinator.ts'
import { startFakeOllama, type FakeOllamaServer } from '../helpers/fakeBackends/ollama.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

// 200 base units per output token: the 128,000-token job costs 25,600,000.
const price = { input: '50000', output: '200000000' }
const budget = 100_000n
const keys = { shared: 'sk-budget-shared-0', one: 'sk-budget-one-000', big: 'sk-budget-big-000' }

type Completion = { usage: { prompt_tokens: number; completion_tokens: number } }
type ErrorBody = { error: { code: string; message: string } }

describe('e2e: API-key budgets through the gateway', () => {
  let relay: TestRelay
  let fake: FakeOllamaServer
  let node: TestNode
  let coord: TestCoordinator

  before(async () => {
    relay = await startRelay()
    fake = await startFakeOllama({ models: ['llama3'], reply: 'one two three four five six seven eight nine ten' })
    // Room for every caller at once, so the node never refuses 'busy': only the budget may stop them.
    node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, price, maxConcurrency: 64, maxQueue: 64 })
    coord = await startCoordinator({
      relays: [relay.url],
      apiKeys: [
        { key: keys.shared, budget: budget.toString() },
        { key: keys.one, budget: '1' },
        { key: keys.big, budget: '1000000' },
      ],
    })
    const deadline = Date.now() + 20_000
    while (!coord.coordinator.market.hasModel('llama3', Math.floor(Date.now() / 1000))) {
      if (Date.now() > deadline) throw new Error('the node never reached the coordinator market')
      await new Promise((r) => setTimeout(r, 20))
    }
  })
  after(async () => {
    await coord?.close()
    await node?.stop()
    await fake?.close()
    await relay?.close()
  })

  const chat = (key: string, body: Record<string, unknown>) =>
    fetch(`${coord.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'llama3', ...body }),
    })
  const spentOf = (name: string) => BigInt(coord.coordinator.keys.list().find((k) => k.name === name)!.spent)

  it('50 concurrent callers on one key: spend never passes the budget, and is what the jobs cost', async () => {
    let cost = 0n
    let served = 0
    const refusals = new Map<string, number>()
    const name = coord.coordinator.keys.list()[0]!.name
    const caller = async (i: number) => {
      for (let n = 0; ; n++) {
        const res = await chat(keys.shared, { max_tokens: 64, messages: [{ role: 'user', content: `caller ${i} request ${n}` }] })
        if (res.status !== 200) {
          const { error } = (await res.json()) as ErrorBody
          refusals.set(`${res.status} ${error.code}`, (refusals.get(`${res.status} ${error.code}`) ?? 0) + 1)
          return
        }
        const { usage } = (await res.json()) as Completion
        cost += amountDue({ promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens }, price)
        served++
        // Checked after every answer, not only at the end: spend is never above the budget, even for a moment.
        assert.ok(spentOf(name) <= budget, `spent ${spentOf(name)} of ${budget}`)
      }
    }
    await Promise.all(Array.from({ length: 50 }, (_, i) => caller(i)))
    const spent = spentOf(name)
    assert.ok(spent <= budget, `spent ${spent} of ${budget}`)
    assert.equal(spent, cost, 'the key is charged what the jobs it ran cost')
    assert.deepEqual([...refusals.keys()], ['429 insufficient_quota'])
    // The holds do not starve the key: it runs until what is left is below one request's worst case (12,831).
    assert.ok(budget - spent < 12_831n + cost / BigInt(served), `spent only ${spent} of ${budget} in ${served} jobs`)
    assert.equal(coord.coordinator.keys.list()[0]!.reserved, '0')
  })

  it('a key with a budget of 1 cannot buy a job that could cost 25,600,000: refused before the job', async () => {
    const chatsBefore = fake.stats.chats
    const res = await chat(keys.one, { max_tokens: 128_000, messages: [{ role: 'user', content: 'write a very long story' }] })
    assert.equal(res.status, 429)
    const { error } = (await res.json()) as ErrorBody
    assert.equal(error.code, 'insufficient_quota')
    assert.match(error.message, /could cost up to 256000\d\d .* has 1 left/)
    assert.equal(fake.stats.chats, chatsBefore, 'no job reached the node')
    assert.equal(spentOf(coord.coordinator.keys.list()[1]!.name), 0n)
  })

  it('a budgeted key that sends no max_tokens gets a bounded one, which the node applies', async () => {
    const res = await chat(keys.big, { messages: [{ role: 'user', content: 'no max_tokens here' }] })
    assert.equal(res.status, 200)
    assert.match(JSON.stringify(fake.stats.lastChatBody), /"num_predict":4096/)
  })
})
