import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generationParams, splitGenerationParams } from '../../src/protocol/generationParams.ts'
import { buildJobRequest, decryptJobRequest, jobPayload, type ChatJobPayload as JobPayload } from '../../src/protocol/jobRequest.ts'
import { testSigner } from '../helpers/keys.ts'

const node = testSigner('node')
const client = testSigner('client')

test('the job payload carries the parameter object as it is: named fields and pass-through ones', async () => {
  const params = { max_tokens: 64, temperature: 0.2, top_p: 0.9, stop: ['\n'], seed: 7, top_k: 20, logit_bias: { 1: 2 } }
  const payload: JobPayload = { v: 1, model: 'llama3', messages: [{ role: 'user', content: 'hi' }], params, bid: { input: '0', output: '0' }, transport: 'direct' }
  const back = await decryptJobRequest(await buildJobRequest(client, { node: node.pubkey, payload }), node)
  assert.ok(back.ok && back.data.v !== 3)
  assert.deepEqual(back.data.params, params)
})

test('named fields keep their bounds; a missing object reads as empty', () => {
  assert.equal(generationParams.safeParse({ temperature: 3 }).success, false)
  assert.equal(generationParams.safeParse({ max_tokens: 1.5 }).success, false)
  assert.equal(generationParams.safeParse({ stop: Array(17).fill('x') }).success, false)
  assert.deepEqual(generationParams.parse({ top_k: 'anything' }), { top_k: 'anything' })
  assert.deepEqual((jobPayload.parse({ v: 1, model: 'm', messages: [{ role: 'user', content: 'x' }], bid: { input: '0', output: '0' }, transport: 'relay' }) as JobPayload).params, {})
})

test('splitGenerationParams: named fields apart from the pass-through rest, undefined dropped', () => {
  assert.deepEqual(splitGenerationParams({ max_tokens: 5, seed: undefined, num_ctx: 4096 }), { fields: { max_tokens: 5 }, extra: { num_ctx: 4096 } })
  assert.deepEqual(splitGenerationParams({}), { fields: {}, extra: {} })
})
