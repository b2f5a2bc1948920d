// The node's model lookups (node/jobs/modelResolver.ts): concurrent first jobs for a model share one backend call,
// a hit is cached, a miss briefly, and a backend error is returned (not cached) so the next job asks again.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Backend, ModelInfo } from '../../../node/backends/types.ts'
import { createModelResolver } from '../../../node/jobs/modelResolver.ts'

function countingBackend(answer: (id: string) => Promise<ModelInfo | undefined>): { backend: Backend; calls: () => number } {
  let calls = 0
  const backend = { resolveModel: (id: string) => (calls++, answer(id)) } as unknown as Backend
  return { backend, calls: () => calls }
}

test('100 concurrent cold lookups make one backend call; later ones hit the cache until it expires', async () => {
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const { backend, calls } = countingBackend(async (id) => (await gate, { id } as unknown as ModelInfo))
  let clock = 0
  const resolve = createModelResolver({ backend, models: [], now: () => clock })
  const all = Promise.all(Array.from({ length: 100 }, () => resolve('llama3')))
  release()
  const infos = await all
  assert.equal(calls(), 1)
  assert.ok(infos.every((i) => (i as { id: string }).id === 'llama3'))
  await resolve('llama3')
  assert.equal(calls(), 1, 'cached')
  clock = 30_001
  await resolve('llama3')
  assert.equal(calls(), 2, 'asked again after 30 s')
})

test('an error is returned to every waiting job and not cached', async () => {
  let fail = true
  const { backend, calls } = countingBackend(async (id) => {
    if (fail) throw new Error('connection refused')
    return { id } as unknown as ModelInfo
  })
  const resolve = createModelResolver({ backend, models: [], now: () => 0 })
  const [a, b] = await Promise.all([resolve('m'), resolve('m')])
  assert.ok(a instanceof Error && b instanceof Error)
  assert.equal(calls(), 1)
  fail = false
  assert.deepEqual(await resolve('m'), { id: 'm' })
  assert.equal(calls(), 2)
})
