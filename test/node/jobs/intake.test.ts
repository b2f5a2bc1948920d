import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkJobEvent, checkJobPayload } from '../../../node/jobs/intake.ts'
import { fixedNow, testSigner } from '../../helpers/keys.ts'
import { jobEvent } from '../directClient.ts'

const client = testSigner('intake-client')
const node = testSigner('intake-node')
const price = { input: '100', output: '200' }

test('intake: public checks map to job error codes', async () => {
  const ev = await jobEvent(client, node.pubkey, {}, { now: fixedNow })
  const ok = checkJobEvent(ev, { node: node.pubkey, now: fixedNow })
  assert.ok(ok.ok)
  assert.equal(ok.request.client, client.pubkey)
  const code = (input: unknown, now = fixedNow, to = node.pubkey) => {
    const r = checkJobEvent(input, { node: to, now })
    return r.ok ? 'ok' : r.code
  }
  assert.equal(code(ev, fixedNow + 1000), 'expired')
  assert.equal(code({ ...ev, sig: '0'.repeat(128) }), 'invalid')
  assert.equal(code({ ...ev, content: ev.content + 'x' }), 'invalid')
  assert.equal(code(ev, fixedNow, client.pubkey), 'invalid')
  assert.equal(code('not an event'), 'invalid')
})

test('intake: payload checks (decrypt, prompt size, bid)', async () => {
  const check = async (overrides: Parameters<typeof jobEvent>[2], maxPromptBytes = 100, signer = node) => {
    const ev = await jobEvent(client, node.pubkey, overrides)
    const r = await checkJobPayload(ev, { signer, price, maxPromptBytes })
    return r.ok ? 'ok' : r.code
  }
  assert.equal(await check({ bid: price }), 'ok')
  assert.equal(await check({ bid: { input: '100', output: '199' } }), 'bid-too-low')
  assert.equal(await check({ bid: price, messages: [{ role: 'user', content: 'é'.repeat(51) }] }), 'too-large')
  assert.equal(await check({ bid: price }, 100, testSigner('other-node')), 'undecryptable')
  // Parameters nested past the bound are the client's mistake, refused before any backend sees them.
  let nested: unknown = 1
  for (let i = 0; i < 64; i++) nested = { n: nested }
  assert.equal(await check({ bid: price, params: { deep: nested } }), 'bad-payload')
  assert.equal(await check({ bid: price, params: { deep: (nested as { n: unknown }).n } }), 'ok')
})
