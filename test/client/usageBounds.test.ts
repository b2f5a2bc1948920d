// Overcharging nodes are refused and the refusal is public: nodes that claim 2x or 25x the fewest tokens a real
// tokenizer could count, on the completion or the prompt side, get ResultVerificationError, are not paid, and the
// client publishes a signed result rejection (kind 3834) with the claimed usage beside its bound. A node that
// reports that fewest count itself is verified and paid. (The bounds themselves: test/protocol/usageBounds.test.ts.)
import assert from 'node:assert/strict'
import { test } from 'node:test'
import WebSocket from 'ws'
import { ResultVerificationError } from '../../client/errors.ts'
import type { ReceiptIssuer, ReceiptRequest } from '../../client/receipts.ts'
import { createRelayPool, type WebSocketConstructor } from '../../src/net/relayPool.ts'
import * as kinds from '../../src/protocol/kinds.ts'
import { parseResultRejection } from '../../src/protocol/resultRejection.ts'
import type { Price } from '../../src/protocol/schema.ts'
import { createTestClient } from '../helpers/client.ts'
import { startRelay } from '../helpers/relay.ts'
import { startLyingNode, type Overcharge } from './lyingNode.ts'

const onePerToken: Price = { input: '1000000', output: '1000000' }
const paragraph =
  'Node operators run GPU servers and earn per job; clients submit jobs through one API and pay per job without caring which node ran it. ' +
  'There is no central database: relays carry every fact of the network as signed events, and everything else is a cache that can be rebuilt from them. ' +
  'A client picks a node, sends its prompt encrypted to that node, and streams the answer back over a direct channel.'
const reply = [paragraph, paragraph, paragraph].join(' ')
const short = [{ role: 'user' as const, content: 'count to six' }]
// A long prompt: the template allowance (64 + 8 per message) is small beside it, so 2x stands out.
const long = [{ role: 'user' as const, content: Array(10).fill(paragraph).join('\n\n') }]

function spyIssuer(): ReceiptIssuer & { calls: ReceiptRequest[] } {
  const calls: ReceiptRequest[] = []
  return { calls, issue: async (r) => (calls.push(r), { signature: '0x' + 'ab'.repeat(65), cumulative: r.cumulative.toString() }) }
}

test('2x and 25x overcharges are refused, not paid and published as signed rejections; fair usage is paid', async (t) => {
  const relay = await startRelay()
  t.after(() => relay.close())
  const cases: [Overcharge, typeof short, RegExp, string][] = [
    ['completion-2x', short, /completion tokens for \d+ bytes of output \(at most \d+ for llama3\)/, 'completion-overcharge'],
    ['completion-25x', short, /completion tokens/, 'completion-overcharge'],
    ['prompt-2x', long, /prompt tokens for a prompt of at most \d+ tokens for llama3/, 'prompt-overcharge'],
    ['prompt-25x', short, /prompt tokens/, 'prompt-overcharge'],
  ]
  const liars = await Promise.all(cases.map(([lie]) => startLyingNode({ relays: [relay.url], model: 'llama3', price: onePerToken, lie, reply })))
  const fair = await startLyingNode({ relays: [relay.url], model: 'llama3', price: onePerToken, lie: 'fair', reply })
  t.after(() => Promise.all([...liars, fair].map((l) => l.close())))
  const receipts = spyIssuer()
  const client = createTestClient({ relays: [relay.url], receipts, name: 'usage-bounds-client' })
  t.after(() => client.close())

  for (const [i, [lie, messages, message]] of cases.entries()) {
    await assert.rejects(client.complete({ model: 'llama3', messages, routing: { pin: liars[i]!.pubkey } }), (err: unknown) => {
      assert.ok(err instanceof ResultVerificationError, `${lie}: ${String(err)}`)
      assert.match(err.message, message, lie)
      return true
    })
  }
  assert.equal(receipts.calls.length, 0)
  assert.equal(client.spent, 0n)

  // Each refusal is on the relay, signed by the client, before the caller saw the error.
  const pool = createRelayPool({ urls: [relay.url], WebSocket: WebSocket as unknown as WebSocketConstructor })
  t.after(() => pool.close())
  await pool.ready()
  const events = await pool.query([{ kinds: [kinds.ResultRejection], authors: [client.signer.pubkey] }])
  assert.equal(events.length, cases.length)
  for (const [i, [lie, , , code]] of cases.entries()) {
    const found = events.map((e) => parseResultRejection(e)).find((r) => r.ok && r.data.node === liars[i]!.pubkey)
    assert.ok(found?.ok, `${lie}: no rejection for its node`)
    assert.equal(found.data.code, code, lie)
    assert.ok(found.data.claimed && found.data.bound && found.data.result, lie)
    const side = code === 'prompt-overcharge' ? 'promptTokens' : 'completionTokens'
    assert.ok(found.data.claimed[side] > found.data.bound[side], `${lie}: claimed ${found.data.claimed[side]} over the bound ${found.data.bound[side]}`)
  }

  // Fair usage on the same long prompt and reply passes and is paid.
  const ok = await client.complete({ model: 'llama3', messages: long, routing: { pin: fair.pubkey } })
  assert.equal(ok.text, reply)
  assert.ok(ok.cost > 0n)
  assert.deepEqual(receipts.calls.map((c) => c.node), [fair.pubkey])
})
