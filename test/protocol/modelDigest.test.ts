import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildCapability, parseCapability } from '../../src/protocol/capability.ts'
import { digestMatches, modelDigest, parseModelRef } from '../../src/protocol/modelDigest.ts'
import { createLocalSigner } from '../../src/signer.ts'
import { exampleCapability } from '../vectors/examples.ts'

const hex = 'a'.repeat(12) + 'b'.repeat(52)

test('a digest is a scheme and 64 hex digits', () => {
  assert.equal(modelDigest.safeParse(`sha256:${hex}`).success, true)
  assert.equal(modelDigest.safeParse(`ollama:${hex}`).success, true)
  assert.equal(modelDigest.safeParse(`md5:${hex}`).success, false)
  assert.equal(modelDigest.safeParse(`sha256:${hex.toUpperCase()}`).success, false)
  assert.equal(modelDigest.safeParse(`sha256:${hex.slice(1)}`).success, false)
})

test('a model reference pins a digest or a prefix of at least 12 hex digits; ids may contain @', () => {
  assert.deepEqual(parseModelRef('tiny-a'), { id: 'tiny-a' })
  assert.deepEqual(parseModelRef(`tiny-a@sha256:${hex}`), { id: 'tiny-a', digest: `sha256:${hex}` })
  assert.deepEqual(parseModelRef('tiny-a@sha256:aaaaaaaaaaaa'), { id: 'tiny-a', digest: 'sha256:aaaaaaaaaaaa' })
  assert.deepEqual(parseModelRef('org@x/model'), { id: 'org@x/model' })
  assert.deepEqual(parseModelRef('tiny-a@sha256:aaaa'), { id: 'tiny-a@sha256:aaaa' }, 'too short to be a pin')
  assert.equal(digestMatches(`sha256:${hex}`, 'sha256:aaaaaaaaaaaa'), true)
  assert.equal(digestMatches(`sha256:${hex}`, `sha256:${hex}`), true)
  assert.equal(digestMatches(`ollama:${hex}`, 'sha256:aaaaaaaaaaaa'), false, 'the scheme is part of the identity')
  assert.equal(digestMatches(`sha256:${hex}`, 'sha256:aaaaaaaaaaab'), false)
  assert.equal(digestMatches(undefined, 'sha256:aaaaaaaaaaaa'), false, 'a node that names no digest never matches a pin')
})

test('the capability carries a digest per model; a malformed one is refused at the door', async () => {
  const signer = createLocalSigner(new Uint8Array(32).fill(7))
  const content = { ...exampleCapability, models: [{ id: 'tiny-a', digest: `sha256:${hex}` }] }
  const parsed = parseCapability(await buildCapability(signer, content))
  assert.ok(parsed.ok)
  assert.equal(parsed.data.models[0]?.digest, `sha256:${hex}`)
  await assert.rejects(buildCapability(signer, { ...content, models: [{ id: 'tiny-a', digest: 'sha256:xyz' }] }))
})
