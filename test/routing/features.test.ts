// Routing by model features (nips/routing.md "Candidates", nips/capability.md "Features"): a node whose model lacks
// a feature the request needs is not a candidate (a node announcing none serves plain text only), and when no
// live node serving the model has them all, the shortfall names the features and counts the nodes without.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { ModelFeature } from '../../src/protocol/features.ts'
import { describeShortfall, featureShortfall } from '../../src/routing/featureShortfall.ts'
import { isEligible, rankNodes } from '../../src/routing/rank.ts'
import { saturation } from '../../src/routing/saturation.ts'
import { fixedNow } from '../helpers/keys.ts'
import { routingNode } from '../helpers/routingNode.ts'

const now = fixedNow

const node = routingNode
const ask = (features: ModelFeature[], extra: { digest?: string } = {}) => ({ model: 'llama3', features, ...extra })

test('a node is a candidate only when its model announces every feature asked for', () => {
  const plain = node(1, undefined)
  const tools = node(2, ['chat', 'tools'])
  const embed = node(3, ['embeddings'])
  assert.deepEqual([plain, tools, embed].map((n) => isEligible(n, ask(['chat']), now)), [true, true, false])
  assert.deepEqual([plain, tools, embed].map((n) => isEligible(n, ask(['chat', 'tools']), now)), [false, true, false])
  // No features asked (callers from before them): everything that served the model still does.
  assert.deepEqual([plain, tools, embed].map((n) => isEligible(n, { model: 'llama3' }, now)), [true, true, true])
  assert.deepEqual(rankNodes([plain, tools, embed], ask(['chat', 'tools']), { now }).map((r) => r.node.pubkey), [tools.pubkey])
})

test('the shortfall names the features and counts the live nodes without them', () => {
  const nodes = [node(1, undefined), node(2, ['chat', 'json_schema']), node(3, ['chat', 'tools'], { live: false })]
  const s = featureShortfall(nodes, ask(['chat', 'tools']), now)
  assert.deepEqual(s, { model: 'llama3', missing: ['tools'], without: 2 })
  assert.equal(describeShortfall(s!), 'no live node serves llama3 with tools (2 serve it without)')
  const both = featureShortfall([node(1, ['chat', 'tools']), node(2, ['chat', 'vision'])], ask(['chat', 'tools', 'vision']), now)
  assert.equal(describeShortfall(both!), 'no live node serves llama3 with tools and vision (2 serve it without)')
  assert.equal(describeShortfall({ model: 'm', missing: ['tools', 'vision', 'logprobs'], without: 1 }), 'no live node serves m with tools, vision and logprobs (1 serves it without)')
})

test('no shortfall when a live node has the features (busy or not), when none are asked, or when nobody serves the model', () => {
  const busyWithTools = node(2, ['chat', 'tools'], { free: 0 })
  assert.equal(featureShortfall([node(1, undefined), busyWithTools], ask(['chat', 'tools']), now), undefined)
  // That node is full: the answer is "busy", counted among the nodes with the features only.
  assert.deepEqual(saturation([node(1, undefined), busyWithTools], ask(['chat', 'tools']), now)?.busy, 1)
  assert.equal(featureShortfall([node(1, undefined)], ask(['chat']), now), undefined)
  assert.equal(featureShortfall([node(1, undefined)], ask([]), now), undefined)
  assert.equal(featureShortfall([], ask(['chat', 'tools']), now), undefined)
  assert.equal(featureShortfall([node(1, undefined, { live: false })], ask(['chat', 'tools']), now), undefined)
})

test('with pinned weights only the nodes serving them count', () => {
  const a = `sha256:${'a'.repeat(64)}`
  const b = `sha256:${'b'.repeat(64)}`
  const nodes = [node(1, ['chat', 'tools'], { digest: a }), node(2, ['chat'], { digest: b })]
  assert.equal(featureShortfall(nodes, ask(['chat', 'tools'], { digest: a }), now), undefined)
  assert.deepEqual(featureShortfall(nodes, ask(['chat', 'tools'], { digest: b }), now), { model: 'llama3', missing: ['tools'], without: 1 })
})
