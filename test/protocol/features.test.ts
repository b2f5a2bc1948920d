// Model features (src/protocol/features.ts, nips/capability.md "Features"): what a chat request needs, what a
// capability's model entry lacks (none announced: plain text chat only), and capabilities old and new parsing
// alike, a feature this code does not know included.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { finalizeEvent } from 'nostr-tools/pure'
import { parseCapability } from '../../src/protocol/capability.ts'
import type { NostrEvent } from '../../src/protocol/event.ts'
import { featuresOf, missingFeatures, requiredFeatures, type FeatureRequest, type ModelFeature } from '../../src/protocol/features.ts'
import { fixedNow, testSigner } from '../helpers/keys.ts'
import { exampleCapabilityFeatures } from '../vectors/examples.ts'

const events = JSON.parse(readFileSync(new URL('../vectors/events.json', import.meta.url), 'utf8')) as Record<string, NostrEvent>
const vectors = JSON.parse(readFileSync(new URL('../vectors/features.json', import.meta.url), 'utf8')) as {
  required: { name: string; request: FeatureRequest; features: ModelFeature[] }[]
  missing: { name: string; model: { features?: string[] }; required: ModelFeature[]; missing: ModelFeature[] }[]
}
const opts = { now: fixedNow }

describe('requiredFeatures (test/vectors/features.json)', () => {
  test('every sample request needs exactly the listed features', () => {
    for (const v of vectors.required) assert.deepEqual(requiredFeatures(v.request), v.features, v.name)
  })
  test('content of any shape is read without throwing: string, parts, null, odd objects', () => {
    const odd = [null, undefined, 42, {}, [null, 'x', { type: 'image_url' }], [{ type: 'input_image', image_url: 'data:,' }]]
    assert.deepEqual(
      odd.map((content) => requiredFeatures({ messages: [{ role: 'user', content }] })),
      [['chat'], ['chat'], ['chat'], ['chat'], ['chat', 'vision'], ['chat', 'vision']],
    )
    assert.deepEqual(requiredFeatures({ messages: [] }), ['chat'])
  })
})

describe('missingFeatures (test/vectors/features.json)', () => {
  test('every sample model entry lacks exactly the listed features', () => {
    for (const v of vectors.missing) assert.deepEqual(missingFeatures(v.model, v.required), v.missing, `${v.name}: ${v.required.join(',')}`)
  })
  test('a model without features is plain text chat; an unknown model lacks everything', () => {
    assert.deepEqual(featuresOf({}), ['chat'])
    assert.deepEqual(missingFeatures(undefined, ['chat', 'tools']), ['chat', 'tools'])
    assert.deepEqual(missingFeatures(undefined, []), [])
  })
})

describe('capability with features (test/vectors/events.json capabilityFeatures)', () => {
  test('the vector parses; the model with features keeps them, the other has none', () => {
    const cap = parseCapability(events.capabilityFeatures, opts)
    assert.ok(cap.ok, !cap.ok ? cap.reason : '')
    assert.deepEqual(cap.data.models, exampleCapabilityFeatures.models)
    assert.deepEqual(featuresOf(cap.data.models[0]), ['chat', 'tools', 'json_schema', 'logprobs'])
    assert.deepEqual(featuresOf(cap.data.models[1]), ['chat'])
  })
  test('the capability from before the field parses, every model plain text chat', () => {
    const cap = parseCapability(events.capability, opts)
    assert.ok(cap.ok)
    assert.deepEqual(cap.data.models.map((m) => featuresOf(m)), [['chat']])
  })
  const node = testSigner('node')
  const withModels = (models: unknown) => {
    const base = events.capabilityFeatures!
    const content = JSON.stringify({ ...JSON.parse(base.content), models })
    return finalizeEvent({ kind: base.kind, created_at: base.created_at, tags: base.tags, content }, node.secretKey)
  }
  test('a feature this code does not know parses (a newer node is not dropped) and is never required', () => {
    const cap = parseCapability(withModels([{ id: 'qwen2.5:7b', features: ['chat', 'audio_out'] }, { id: 'llama3.2:3b' }]), opts)
    assert.ok(cap.ok, !cap.ok ? cap.reason : '')
    assert.deepEqual(missingFeatures(cap.data.models[0], ['chat']), [])
  })
  test('malformed features are refused with the field named', () => {
    for (const features of [['Tools'], ['x'.repeat(33)], 'tools', Array.from({ length: 33 }, (_, i) => `f${i}`), [1]]) {
      const r = parseCapability(withModels([{ id: 'qwen2.5:7b', features }, { id: 'llama3.2:3b' }]), opts)
      assert.equal(r.ok, false, JSON.stringify(features))
      if (!r.ok) assert.match(r.reason, /features/, JSON.stringify(features))
    }
  })
})
