// One rule set, two routers: a client routing from relays (the SDK's market) and a coordinator's market, fed the
// same signed capability and heartbeat events, the same job outcomes and the same clock, rank the same nodes in
// the same order for every policy. The coordinator is checked both by full ranking and through its index.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { npubEncode } from 'nostr-tools/nip19'
import { Market as ClientMarket } from '../../client/market.ts'
import { rankCandidates, type NodeRecord } from '../../client/routing.ts'
import { MarketIndex } from '../../src/coordinator/marketIndex.ts'
import type { RelayPool } from '../../src/net/relayPool.ts'
import { buildCapability, parseCapability } from '../../src/protocol/capability.ts'
import type { NostrEvent } from '../../src/protocol/event.ts'
import { buildHeartbeat, parseHeartbeat } from '../../src/protocol/heartbeat.ts'
import type { Price } from '../../src/protocol/schema.ts'
import { routingPolicies, type RoutingPolicy } from '../../src/routing/score.ts'
import { summarizeStats, type NodeStats } from '../../src/routing/stats.ts'
import { fixedNow, testSigner } from '../helpers/keys.ts'

const now = fixedNow
const model = 'llama3'

/** A deterministic spread of nodes: prices, speeds, load, regions, loaded or not, and some that are not candidates. */
type Node = { pubkey: string; events: NostrEvent[]; outcome: NodeRecord; measured: { ttftMs: number; tps: number } | undefined }

async function network(): Promise<Node[]> {
  const out: Node[] = []
  for (let i = 0; i < 24; i++) {
    const signer = testSigner(`parity-${i}`)
    const price: Price = { input: String((i % 5) * 250_000), output: String(((i * 3) % 7) * 300_000) }
    const models = i % 11 === 10 ? ['mistral'] : [model]
    const capability = await buildCapability(
      signer,
      { v: 1, name: `n${i}`, backend: 'fake', models: models.map((id) => ({ id })), price, gpus: [], region: ['eu-west', 'US-East', 'ap'][i % 3]!, stream: null, maxConcurrency: 4, maxPromptBytes: 10_000 },
      { now: now - 300 },
    )
    const heartbeat = await buildHeartbeat(
      signer,
      {
        v: 1,
        models: i % 13 === 12 ? [] : models,
        loaded: i % 2 === 0 ? models : [],
        slots: { free: i % 4, total: 4 },
        queue: i % 4 === 0 ? (i % 8) / 2 + 2 : 0,
        tps: i % 6 === 5 ? null : 10 + ((i * 17) % 90),
        ttftMs: i % 6 === 5 ? null : 50 + ((i * 37) % 900),
        gpus: [],
        interval: 30,
        backendHealthy: i % 9 !== 8,
      },
      // Node 7 stopped beating: its last heartbeat is older than three intervals.
      { now: i === 7 ? now - 95 : now - (i % 20) },
    )
    out.push({
      pubkey: signer.pubkey,
      events: [capability, heartbeat],
      outcome: { ok: (i * 5) % 9, failed: (i * 2) % 5 },
      measured: i % 3 === 0 ? { ttftMs: 40 + i * 10, tps: 12 + i } : undefined,
    })
  }
  return out
}

function clientMarket(nodes: Node[]): ClientMarket {
  const market = new ClientMarket({ pool: undefined as unknown as RelayPool, clock: () => now * 1000 })
  for (const n of nodes) for (const e of n.events) market.apply(e)
  return market
}

function coordinatorMarket(nodes: Node[], stats: (n: Node) => Partial<NodeStats>): MarketIndex {
  const market = new MarketIndex()
  for (const n of nodes) {
    // The same parsers at the same clock: an expired heartbeat is dropped on both sides.
    const cap = parseCapability(n.events[0], { now })
    const hb = parseHeartbeat(n.events[1], { now })
    assert.ok(cap.ok)
    market.setCapability(cap.data, cap.event)
    if (hb.ok) market.setHeartbeat(hb.data, hb.event)
    Object.assign(market.statsFor(n.pubkey), stats(n))
    market.touchPubkey(n.pubkey)
  }
  return market
}

const outcomeStats = (n: Node): Partial<NodeStats> => ({ jobs: n.outcome.ok + n.outcome.failed, successes: n.outcome.ok, failures: n.outcome.failed })

/** Sums chosen so the rounded means a coordinator puts on the wire are exact. */
const measuredStats = (n: Node): Partial<NodeStats> => ({
  ...outcomeStats(n),
  ...(n.measured ? { ttftSumMs: 2 * n.measured.ttftMs, ttftCount: 2, tpsSum: 2 * n.measured.tps, tpsCount: 2 } : {}),
})

function policies(nodes: Node[]): RoutingPolicy[] {
  return [...routingPolicies, { pin: npubEncode(nodes[3]!.pubkey) }, { pin: nodes[4]!.pubkey }, { region: 'us-east' }, { region: 'EU-WEST' }]
}

function assertSameOrder(clientOrder: string[], coordinator: MarketIndex, policy: RoutingPolicy, extra: { maxPrice?: Price; exclude?: Set<string> }, label: string): void {
  const query = { model, policy, ...extra }
  const full = coordinator.route(query, { now }).map((r) => r.node.pubkey)
  assert.deepEqual(clientOrder, full, `${label}: ${JSON.stringify(policy)}`)
  // The presorted index (named policies) must give the same prefix as the full ranking.
  const limit = Math.max(1, full.length)
  assert.deepEqual(coordinator.route(query, { now, limit }).map((r) => r.node.pubkey), full, `${label} (index): ${JSON.stringify(policy)}`)
}

test('SDK and coordinator rank the same nodes in the same order for every policy (outcomes as this client saw them)', async () => {
  const nodes = await network()
  const sdk = clientMarket(nodes)
  const coordinator = coordinatorMarket(nodes, outcomeStats)
  const history = new Map(nodes.map((n) => [n.pubkey, n.outcome]))
  const extras = [{}, { maxPrice: { input: '750000', output: '1200000' } }, { exclude: new Set([nodes[1]!.pubkey, nodes[2]!.pubkey]) }]
  for (const policy of policies(nodes)) {
    for (const extra of extras) {
      const order = rankCandidates({ nodes: sdk.nodes({ model }), model, policy, now, history, maxPrice: extra.maxPrice, bad: extra.exclude }).map((n) => n.pubkey)
      assert.ok(order.length > 0 || typeof policy === 'object', `some candidates for ${JSON.stringify(policy)}`)
      assertSameOrder(order, coordinator, policy, extra, 'outcomes')
    }
  }
  // Not vacuous: the spread leaves candidates out (stale, unhealthy, full, other model) and policies disagree.
  const reliable = rankCandidates({ nodes: sdk.nodes({ model }), model, policy: 'reliable', now, history }).map((n) => n.pubkey)
  const cheapest = rankCandidates({ nodes: sdk.nodes({ model }), model, policy: 'cheapest', now, history }).map((n) => n.pubkey)
  assert.ok(reliable.length < nodes.length && reliable.length >= 10, `candidates: ${reliable.length}`)
  assert.notDeepEqual(reliable, cheapest)
})

test('SDK and coordinator rank the same way when the evidence is a coordinator\'s measured results (stats summary)', async () => {
  const nodes = await network()
  const sdk = clientMarket(nodes)
  const coordinator = coordinatorMarket(nodes, measuredStats)
  const candidates = sdk.nodes({ model })
  // What a client reads from GET /api/v1/nodes: the coordinator's summary of the same result data.
  for (const c of candidates) c.stats = summarizeStats(coordinator.statsFor(c.pubkey))
  for (const policy of policies(nodes)) {
    const order = rankCandidates({ nodes: candidates, model, policy, now }).map((n) => n.pubkey)
    assertSameOrder(order, coordinator, policy, {}, 'measured')
  }
})
