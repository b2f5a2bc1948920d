// Routing policies and market liveness as the SDK applies them (rules: src/routing/, nips/routing.md), on nodes
// built from real signed capability and heartbeat events.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { npubEncode } from 'nostr-tools/nip19'
import { Market, type MarketNode } from '../../client/market.ts'
import { rankCandidates, type NodeRecord } from '../../client/routing.ts'
import type { RelayPool } from '../../src/net/relayPool.ts'
import { buildCapability } from '../../src/protocol/capability.ts'
import { buildHeartbeat } from '../../src/protocol/heartbeat.ts'
import type { Price } from '../../src/protocol/schema.ts'
import { fixedNow, testSigner } from '../helpers/keys.ts'

type Spec = { name: string; price: Price; tps?: number | null; ttftMs?: number | null; region?: string; free?: number; queue?: number; age?: number; models?: string[] }

async function market(specs: Spec[], now = fixedNow): Promise<{ nodes: MarketNode[]; market: Market; byName: (n: string) => MarketNode }> {
  const m = new Market({ pool: undefined as unknown as RelayPool, clock: () => now * 1000 })
  for (const s of specs) {
    const signer = testSigner(`routing-${s.name}`)
    const models = s.models ?? ['llama3']
    m.apply(await buildCapability(signer, { v: 1, name: s.name, backend: 'fake', models: models.map((id) => ({ id })), price: s.price, gpus: [], ...(s.region ? { region: s.region } : {}), stream: null, maxConcurrency: 4, maxPromptBytes: 10_000 }, { now: now - 100 }))
    m.apply(
      await buildHeartbeat(
        signer,
        { v: 1, models, loaded: models, slots: { free: s.free ?? 4, total: 4 }, queue: s.queue ?? 0, tps: s.tps ?? null, ttftMs: s.ttftMs ?? null, gpus: [], interval: 30, backendHealthy: true },
        { now: now - (s.age ?? 5) },
      ),
    )
  }
  const nodes = m.nodes({ model: 'llama3' })
  return { nodes, market: m, byName: (n) => nodes.find((x) => x.name === n)! }
}

const names = (nodes: MarketNode[]) => nodes.map((n) => n.name)
const p = (input: number, output: number): Price => ({ input: String(input), output: String(output) })

test('liveness: stale heartbeat, full queue and other models are not candidates', async () => {
  const { nodes, market: m } = await market([
    { name: 'fresh', price: p(1, 1) },
    { name: 'stale', price: p(1, 1), age: 95 },
    { name: 'full', price: p(1, 1), free: 0, queue: 4 },
    { name: 'queueing', price: p(1, 1), free: 0, queue: 1 },
    { name: 'other', price: p(1, 1), models: ['mistral'] },
  ])
  assert.deepEqual(new Set(names(nodes.filter((n) => n.live))), new Set(['fresh', 'queueing']))
  assert.deepEqual(new Set(names(rankCandidates({ nodes, now: fixedNow, model: 'llama3', policy: 'reliable' }))), new Set(['fresh', 'queueing']))
  assert.deepEqual(names(m.nodes({ model: 'mistral' })), ['other'])
})

test('cheapest: the cheaper node first', async () => {
  const { nodes } = await market([
    { name: 'a', price: p(5, 30) },
    { name: 'b', price: p(9, 10) },
    { name: 'c', price: p(1, 10) },
  ])
  assert.deepEqual(names(rankCandidates({ nodes, now: fixedNow, model: 'llama3', policy: 'cheapest' })), ['c', 'b', 'a'])
})

test('fastest: higher tokens/s first, then the faster first token; unmeasured last', async () => {
  const { nodes } = await market([
    { name: 'slow', price: p(1, 1), tps: 10, ttftMs: 10 },
    { name: 'unknown', price: p(1, 1) },
    { name: 'fast-late', price: p(1, 1), tps: 90, ttftMs: 400 },
    { name: 'fast-early', price: p(1, 1), tps: 90, ttftMs: 50 },
  ])
  assert.deepEqual(names(rankCandidates({ nodes, now: fixedNow, model: 'llama3', policy: 'fastest' })), ['fast-early', 'fast-late', 'slow', 'unknown'])
})

test('reliable: this session\'s failures outweigh price and speed', async () => {
  const { nodes, byName } = await market([
    { name: 'flaky', price: p(1, 1), tps: 100 },
    { name: 'steady', price: p(2, 2), tps: 50 },
  ])
  assert.deepEqual(names(rankCandidates({ nodes, now: fixedNow, model: 'llama3', policy: 'reliable' })), ['flaky', 'steady'])
  const history = new Map<string, NodeRecord>([
    [byName('flaky').pubkey, { ok: 1, failed: 5 }],
    [byName('steady').pubkey, { ok: 6, failed: 0 }],
  ])
  assert.deepEqual(names(rankCandidates({ nodes, now: fixedNow, model: 'llama3', policy: 'reliable', history })), ['steady', 'flaky'])
})

test('pin (hex or npub), region, price ceiling and bad nodes', async () => {
  const { nodes, byName } = await market([
    { name: 'eu', price: p(1, 1), region: 'eu-west' },
    { name: 'us', price: p(1, 1), region: 'us-east' },
    { name: 'dear', price: p(100, 100), region: 'eu-west' },
  ])
  const us = byName('us')
  assert.deepEqual(names(rankCandidates({ nodes, now: fixedNow, model: 'llama3', policy: { pin: us.pubkey } })), ['us'])
  assert.deepEqual(names(rankCandidates({ nodes, now: fixedNow, model: 'llama3', policy: { pin: npubEncode(us.pubkey) } })), ['us'])
  assert.deepEqual(names(rankCandidates({ nodes, now: fixedNow, model: 'llama3', policy: { region: 'EU-West' } })), ['eu', 'dear'])
  assert.deepEqual(names(rankCandidates({ nodes, now: fixedNow, model: 'llama3', policy: { region: 'eu-west' }, maxPrice: p(10, 10) })), ['eu'])
  assert.deepEqual(names(rankCandidates({ nodes, now: fixedNow, model: 'llama3', policy: 'cheapest', bad: new Set([byName('eu').pubkey]) })), ['us', 'dear'])
})
