// Result v2 (nips/job-result.md): a third party holding a node's signed result and a guessed output cannot confirm
// the guess (the v1 `output` tag was an unsalted sha256 that anyone could compare), the client still verifies what
// it streamed against the hash the node signed, a tampered output is still refused, and a v1 result is refused
// with a reason that says to upgrade the node.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import WebSocket from 'ws'
import { verifyResult, type VerifyResultParameters } from '../../client/verifyResult.ts'
import { createRelayPool, type WebSocketConstructor } from '../../src/net/relayPool.ts'
import type { NostrEvent } from '../../src/protocol/event.ts'
import { buildJobResult, decryptJobResult, outputHash, parseJobResult } from '../../src/protocol/jobResult.ts'
import * as kinds from '../../src/protocol/kinds.ts'
import { amountDue } from '../../src/protocol/price.ts'
import { createTestClient, waitForLive } from '../helpers/client.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import { fixedNow, testSigner } from '../helpers/keys.ts'
import { startNode } from '../helpers/node.ts'
import { startRelay } from '../helpers/relay.ts'

const vectors = JSON.parse(readFileSync(new URL('../vectors/events.json', import.meta.url), 'utf8'))
const node = testSigner('node')
const client = testSigner('client')
const stranger = testSigner('stranger')
const price = { input: '1000000', output: '1000000' }
const job = 'b'.repeat(64)
const messages = [{ role: 'user' as const, content: 'What is the capital of France? One word.' }]

/** Everything a third party can compare a guess against: the hash in hex and base64, anywhere in the event. */
function confirms(event: NostrEvent, guess: string): boolean {
  const digest = sha256(new TextEncoder().encode(guess))
  const json = JSON.stringify(event)
  return json.includes(bytesToHex(digest)) || json.includes(Buffer.from(digest).toString('base64')) || json.includes(Buffer.from(digest).toString('base64url'))
}

async function result(output: string, usage = { promptTokens: 14, completionTokens: 1 }): Promise<NostrEvent> {
  return buildJobResult(node, { job, client: client.pubkey, model: 'llama3', usage, amount: amountDue(usage, price), output, finishReason: 'stop', ttftMs: 5, durationMs: 9, now: fixedNow })
}

async function check(event: NostrEvent, text: string, reader = client): Promise<ReturnType<typeof verifyResult>> {
  const p: VerifyResultParameters = { event, content: await decryptJobResult(event, reader), node: node.pubkey, job, client: client.pubkey, model: 'llama3', text, price, messages, now: fixedNow }
  return verifyResult(p)
}

describe('result v2: the output hash is for the client only', () => {
  test('a third party with the result event and the right guess cannot confirm it', async () => {
    // Short, guessable answers: the kind a public hash gives away.
    for (const output of ['Paris', 'Paris.', '4', 'Yes', 'No.', 'The capital of France is Paris.']) {
      const event = await result(output)
      assert.equal(confirms(event, output), false, output)
      assert.ok(!event.tags.some((t) => t.some((v) => v === outputHash(output))), output)
      const theirs = await decryptJobResult(event, stranger)
      assert.ok(!theirs.ok && theirs.code === 'undecryptable', output)
      const mine = await decryptJobResult(event, client)
      assert.ok(mine.ok && mine.data.output === outputHash(output), output)
    }
    // The old form let anyone do it: the v1 vector's tag is sha256("Hello!").
    assert.equal(confirms(vectors.jobResultV1, 'Hello!'), true)
  })

  test('the client verifies the streamed text; a tampered output or hash is refused', async () => {
    const ok = await check(await result('Paris'), 'Paris')
    assert.ok(ok.ok, ok.ok ? '' : ok.reason)
    const tampered = await check(await result('Paris'), 'Lyon')
    assert.ok(!tampered.ok && tampered.code === 'output-mismatch', tampered.ok ? 'accepted' : tampered.reason)
    // A node that signs for another output than the one it streamed.
    const lying = await check(await result('Paris (not what was streamed)'), 'Paris')
    assert.ok(!lying.ok && lying.code === 'output-mismatch')
    // Content the client cannot read is refused, not trusted.
    const event = await result('Paris')
    const unreadable = verifyResult({ event, content: await decryptJobResult(event, stranger), node: node.pubkey, job, client: client.pubkey, model: 'llama3', text: 'Paris', price, messages, now: fixedNow })
    assert.ok(!unreadable.ok && unreadable.code === 'unreadable')
  })

  test('a result v1 (public output tag) is refused with a reason that says what to do', async () => {
    const parsed = parseJobResult(vectors.jobResultV1, { now: fixedNow })
    assert.ok(!parsed.ok)
    assert.equal(parsed.code, 'unsupported-version')
    assert.match(parsed.reason, /^invalid: result v1 refused: .*anyone confirm a guessed output; the node must upgrade to result v2/)
    const verdict = verifyResult({
      event: vectors.jobResultV1, content: await decryptJobResult(vectors.jobResultV1, client), node: node.pubkey, job: vectors.jobRequest.id, client: client.pubkey,
      model: 'llama3.2:3b', text: 'Hello!', price: { input: '50000', output: '200000' }, messages: [{ role: 'user', content: 'Say hello.' }], now: fixedNow,
    })
    assert.ok(!verdict.ok && verdict.code === 'unsupported-version')
  })
})

test('end to end: the result a real node publishes confirms nothing to a relay reader; the client verifies and pays', async (t) => {
  const relay = await startRelay()
  t.after(() => relay.close())
  const reply = 'Paris.'
  const fake = await startFakeOllama({ models: ['llama3'], reply })
  t.after(() => fake.close())
  const n = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, price })
  t.after(() => n.stop())
  const sdk = createTestClient({ relays: [relay.url], name: 'privacy-client' })
  t.after(() => sdk.close())
  await waitForLive(sdk, [n.pubkey])
  const done = await sdk.complete({ model: 'llama3', messages })
  assert.equal(done.text, reply)
  assert.ok(done.cost > 0n)

  const reader = createRelayPool({ urls: [relay.url], WebSocket: WebSocket as unknown as WebSocketConstructor })
  t.after(() => reader.close())
  await reader.ready()
  const [published] = await reader.query([{ kinds: [kinds.JobResult], authors: [n.pubkey], '#e': [done.jobs[0]!.id] }])
  assert.ok(published, 'the node published its result')
  assert.ok(parseJobResult(published).ok)
  assert.equal(confirms(published, reply), false)
})
