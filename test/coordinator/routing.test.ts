import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseCapability } from '../../src/protocol/capability.ts'
import { parseHeartbeat } from '../../src/protocol/heartbeat.ts'
import { MarketIndex } from '../../src/coordinator/marketIndex.ts'
import { marketNodeSource } from '../../src/coordinator/gateway/network.ts'
import { npubEncode } from 'nostr-tools/nip19'
import { isCandidate, pickFromRanked, rankNodes } from '../../src/routing/rank.ts'
import { scoreComponents, type RouteQuery } from '../../src/routing/score.ts'
import { fakeNode, type FakeNodeOptions } from './fixtures.ts'

async function marketOf(specs: [string, FakeNodeOptions][]): Promise<MarketIndex> {
  const market = new MarketIndex()
  for (const [name, o] of specs) {
    const { events } = await fakeNode(name, o)
    const cap = parseCapability(events[0], { now: o.now })
    const hb = parseHeartbeat(events[1], { now: o.now })
    assert.ok(cap.ok && hb.ok)
    market.setCapability(cap.data, cap.event)
    market.setHeartbeat(hb.data, hb.event)
  }
  return market
}

const now = () => Math.floor(Date.now() / 1000)
const names = (market: MarketIndex, q: RouteQuery) => market.route(q, { now: now() }).map((r) => r.node.capability.name)

describe('routing', () => {
  it("the gateway's candidates carry each node's npub from the index, and its signed events", async () => {
    const market = await marketOf([
      ['a', { name: 'a' }],
      ['b', { name: 'b' }],
    ])
    const source = marketNodeSource({ market, limit: 3, topK: 1, random: () => 0 })
    const candidates = await source({ model: 'llama3', now: now() })
    assert.equal(candidates.length, 2)
    for (const c of candidates) {
      assert.equal(c.npub, npubEncode(c.pubkey))
      assert.equal(c.capabilityEvent.pubkey, c.pubkey)
      assert.equal(c.live, true)
    }
  })

  it('keeps only fresh, healthy nodes that serve the model, have a free slot or a short queue, and fit the price limit', async () => {
    const market = await marketOf([
      ['ok', { name: 'ok' }],
      ['busy', { name: 'busy', free: 0, queue: 4 }],
      ['queueing', { name: 'queueing', free: 0, queue: 1 }],
      ['sick', { name: 'sick', healthy: false }],
      ['other', { name: 'other', models: ['mistral'] }],
      ['pricey', { name: 'pricey', price: { input: '5000000', output: '9000000' } }],
      ['stale', { name: 'stale', now: now() - 200, interval: 30 }],
    ])
    const q: RouteQuery = { model: 'llama3', maxPrice: { input: '1000000', output: '1000000' } }
    assert.deepEqual(names(market, q), ['ok', 'queueing'])
    assert.deepEqual(names(market, { model: 'llama3' }).sort(), ['ok', 'pricey', 'queueing'])
    assert.deepEqual(names(market, { model: 'llama3', exclude: new Set([market.route({ model: 'llama3' }, { now: now() })[0]!.node.pubkey]) }).length, 2)
    assert.equal(market.hasModel('llama3', now()), true)
    assert.equal(market.hasModel('nope', now()), false)
  })

  it('scores price, speed, reliability and region as documented', async () => {
    const market = await marketOf([
      ['cheap-slow', { name: 'cheap-slow', price: { input: '0', output: '0' }, tps: 5, ttftMs: 2000 }],
      ['dear-fast', { name: 'dear-fast', price: { input: '3000000', output: '3000000' }, tps: 120, ttftMs: 80 }],
      ['eu', { name: 'eu', price: { input: '1000000', output: '1000000' }, tps: 30, ttftMs: 500, region: 'eu' }],
    ])
    assert.equal(names(market, { model: 'llama3', policy: 'cheapest' })[0], 'cheap-slow')
    assert.equal(names(market, { model: 'llama3', policy: 'fastest' })[0], 'dear-fast')
    const eu = market.nodes.get([...market.nodes.values()].find((n) => n.capability.name === 'eu')!.pubkey)!
    const c = scoreComponents(eu, { model: 'llama3', region: 'eu' })
    // Each component is exactly 0.5 at its reference point (nips/routing.md).
    assert.equal(c.price, 0.5)
    assert.equal(c.ttft, 0.5)
    assert.equal(c.tps, 0.5)
    assert.equal(c.region, 1)
    assert.equal(c.reliability, 0.8)
    // A measured failure history lowers reliability below a fresh node's prior.
    eu.stats.jobs = 10
    eu.stats.failures = 6
    eu.stats.successes = 4
    assert.ok(scoreComponents(eu, { model: 'llama3' }).reliability < 0.8)
    assert.ok(isCandidate(eu, { model: 'llama3' }, now()))
  })

  it('bounded ranking equals the prefix of a full ranking, and ties order by pubkey', async () => {
    const market = await marketOf(Array.from({ length: 30 }, (_, i) => [`n${i}`, { name: `n${i}`, tps: (i % 7) * 10 + 1, price: { input: String((i % 5) * 100000), output: '0' } }] as [string, FakeNodeOptions]))
    const set = market.byModel.get('llama3')!
    const full = rankNodes(set, { model: 'llama3' }, { now: now() })
    const top5 = rankNodes(set, { model: 'llama3' }, { now: now(), limit: 5 })
    assert.equal(full.length, 30)
    assert.deepEqual(top5.map((r) => r.node.pubkey), full.slice(0, 5).map((r) => r.node.pubkey))
    for (let i = 1; i < full.length; i++) assert.ok(full[i - 1]!.score >= full[i]!.score)
  })

  it('spreads load over the top k by weighted random choice, never beyond k', async () => {
    const market = await marketOf(Array.from({ length: 8 }, (_, i) => [`s${i}`, { name: `s${i}`, tps: 10 + i * 20 }] as [string, FakeNodeOptions]))
    const ranked = market.route({ model: 'llama3' }, { now: now() })
    const counts = new Map<string, number>()
    let seed = 42
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    for (let i = 0; i < 2000; i++) {
      const picked = pickFromRanked(ranked, { k: 4, random })
      assert.equal(picked.length, ranked.length)
      const name = picked[0]!.node.capability.name!
      counts.set(name, (counts.get(name) ?? 0) + 1)
    }
    const top4 = ranked.slice(0, 4).map((r) => r.node.capability.name!)
    assert.deepEqual([...counts.keys()].sort(), [...top4].sort())
    for (const n of top4) assert.ok(counts.get(n)! > 2000 * 0.15, `${n} got ${counts.get(n)}`)
  })

  it('the presorted routing index gives exactly the full ranking while the market changes (oracle)', async () => {
    const market = await marketOf(Array.from({ length: 60 }, (_, i) => [`o${i}`, { name: `o${i}`, region: ['eu', 'us'][i % 2], tps: (i * 7) % 90, price: { input: String((i % 6) * 200000), output: String((i % 4) * 300000) } }] as [string, FakeNodeOptions]))
    let seed = 7
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    const all = [...market.nodes.values()]
    for (let step = 0; step < 400; step++) {
      const node = all[Math.floor(random() * all.length)]!
      const r = random()
      if (r < 0.3) {
        node.stats.jobs++
        if (random() < 0.7) node.stats.successes++
        else node.stats.failures++
        market.touch(node)
      } else if (r < 0.5) {
        node.inflight++
        market.touch(node)
      } else if (r < 0.6) {
        node.heartbeat = { ...node.heartbeat!, slots: { free: Math.floor(random() * 3), total: 4 }, tps: random() * 100 }
        market.touch(node)
      } else if (r < 0.63) {
        // Leaves, and comes back.
        market.remove(node.pubkey)
        market.setCapability(node.capability, node.capabilityEvent)
        market.setHeartbeat(node.heartbeat!, { ...node.heartbeatEvent!, id: node.heartbeatEvent!.id.replace(/^./, '0') })
        all[all.indexOf(node)] = market.nodes.get(node.pubkey)!
      }
      const q: RouteQuery = {
        model: 'llama3',
        policy: (['balanced', 'cheapest', 'fastest', 'reliable'] as const)[step % 4],
        region: random() < 0.5 ? 'eu' : undefined,
        maxPrice: random() < 0.3 ? { input: '600000', output: '600000' } : undefined,
      }
      const limit = 1 + (step % 6)
      const expected = rankNodes(market.byModel.get('llama3')!, q, { now: now(), limit }).map((x) => [x.node.pubkey, x.score])
      assert.deepEqual(market.route(q, { now: now(), limit }).map((x) => [x.node.pubkey, x.score]), expected, `step ${step}`)
    }
  })
})
