import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { finalizeEvent } from 'nostr-tools/pure'
import { buildAuthEvent, decodeAuthHeader, encodeAuthHeader, ReplayGuard, verifyAuthEvent } from '../../src/protocol/auth.ts'
import { buildCapability, parseCapability } from '../../src/protocol/capability.ts'
import { isAuthentic, validateEvent, type NostrEvent } from '../../src/protocol/event.ts'
import { buildHeartbeat, parseHeartbeat } from '../../src/protocol/heartbeat.ts'
import { buildJobCancel, parseJobCancel } from '../../src/protocol/jobCancel.ts'
import { buildJobRequest, decryptJobRequest, parseJobRequest, type ChatJobPayload as JobPayload } from '../../src/protocol/jobRequest.ts'
import { buildJobResult, decryptJobResult, outputHash, parseJobResult, usageDetails } from '../../src/protocol/jobResult.ts'
import { buildJobStatus, parseJobStatus } from '../../src/protocol/jobStatus.ts'
import * as kinds from '../../src/protocol/kinds.ts'
import { amountDue, bidCovers } from '../../src/protocol/price.ts'
import { buildReceiptEvent, decryptReceiptEvent, parseReceiptEvent } from '../../src/protocol/receipt.ts'
import { buildResultRejection, parseResultRejection } from '../../src/protocol/resultRejection.ts'
import { buildStreamChunk, decryptDelta, parseStreamChunk } from '../../src/protocol/streamChunk.ts'
import { sseUrl, wsUrl } from '../../src/protocol/frames.ts'
import { fixedNow, testSigner } from '../helpers/keys.ts'
import { exampleCapability, exampleHeartbeat, examplePayload, exampleRejection, exampleVoucher } from '../vectors/examples.ts'

const vectors = JSON.parse(readFileSync(new URL('../vectors/events.json', import.meta.url), 'utf8'))
const node = testSigner('node')
const client = testSigner('client')
const stranger = testSigner('stranger')
const opts = { now: fixedNow }
const payload = examplePayload as unknown as JobPayload

/** Re-signs a tampered template with the given key so that only the intended defect remains. */
function resign(event: NostrEvent, changes: Partial<NostrEvent>, secretKey = node.secretKey): NostrEvent {
  const { kind, created_at, tags, content } = { ...event, ...changes }
  return finalizeEvent({ kind, created_at, tags, content }, secretKey)
}

describe('test vectors (test/vectors/events.json)', () => {
  test('keys match the deterministic test signers', () => {
    assert.equal(vectors.keys.node, node.pubkey)
    assert.equal(vectors.keys.client, client.pubkey)
  })
  test('every vector parses, and encrypted parts decrypt to the documented plaintext', async () => {
    const cap = parseCapability(vectors.capability, opts)
    assert.ok(cap.ok, !cap.ok ? cap.reason : '')
    assert.deepEqual({ ...cap.data, pubkey: undefined, createdAt: undefined, expiresAt: undefined }, { ...exampleCapability, pubkey: undefined, createdAt: undefined, expiresAt: undefined })
    const hb = parseHeartbeat(vectors.heartbeat, opts)
    assert.ok(hb.ok && hb.data.slots.free === exampleHeartbeat.slots.free && hb.data.expiresAt === fixedNow + 90)
    const job = parseJobRequest(vectors.jobRequest, opts)
    assert.ok(job.ok && job.data.node === node.pubkey && job.data.client === client.pubkey)
    const decrypted = await decryptJobRequest(vectors.jobRequest, node)
    assert.ok(decrypted.ok)
    assert.deepEqual(decrypted.data, examplePayload)
    const status = parseJobStatus(vectors.jobStatus, opts)
    assert.ok(status.ok && status.data.status === 'processing' && status.data.job === vectors.jobRequest.id)
    const chunk = parseStreamChunk(vectors.streamChunk, opts)
    assert.ok(chunk.ok && chunk.data.seq === 0)
    assert.equal(decryptDelta(client.conversationKey(node.pubkey), vectors.streamChunk.content), 'Hello')
    const result = parseJobResult(vectors.jobResult, opts)
    assert.ok(result.ok)
    assert.deepEqual(result.data.usage, { promptTokens: 12, completionTokens: 2 })
    const text = await decryptJobResult(vectors.jobResult, client)
    assert.ok(text.ok && text.data.text === 'Hello!' && text.data.v === 2)
    assert.equal(text.data.output, outputHash('Hello!'))
    assert.equal(text.data.details, undefined, 'no details said: none carried')
    // Usage details ride in the encrypted content; the public tag keeps the two counts the amount is for.
    const detailed = parseJobResult(vectors.jobResultDetails, opts)
    assert.ok(detailed.ok)
    assert.deepEqual(detailed.data.usage, { promptTokens: 12, completionTokens: 9 })
    const details = await decryptJobResult(vectors.jobResultDetails, client)
    assert.ok(details.ok)
    assert.deepEqual(details.data.details, { reasoningTokens: 7, cachedPromptTokens: 4 })
    assert.deepEqual(usageDetails({ promptTokens: 3, completionTokens: 2, reasoningTokens: 5, cachedPromptTokens: 3 }), { cachedPromptTokens: 3 }, 'a detail beyond its count is dropped')
    const rejection = parseResultRejection(vectors.resultRejection, opts)
    assert.ok(rejection.ok, rejection.ok ? '' : rejection.reason)
    assert.deepEqual(
      { ...rejection.data, createdAt: undefined },
      { ...exampleRejection, job: vectors.jobRequest.id, node: node.pubkey, client: client.pubkey, result: vectors.jobResult.id, bound: undefined, createdAt: undefined },
    )
    const cancel = parseJobCancel(vectors.jobCancel, opts)
    assert.ok(cancel.ok && cancel.data.client === client.pubkey)
    const receipt = parseReceiptEvent(vectors.receipt, opts)
    assert.ok(receipt.ok && receipt.data.node === node.pubkey)
    const voucher = await decryptReceiptEvent(vectors.receipt, node)
    assert.ok(voucher.ok)
    assert.deepEqual(voucher.data, exampleVoucher)
    const auth = verifyAuthEvent(vectors.auth, { url: 'http://127.0.0.1:8790/v1/jobs', method: 'POST', body: JSON.stringify(vectors.jobRequest) }, opts)
    assert.ok(auth.ok && auth.data.pubkey === client.pubkey)
  })
})

describe('round trips', () => {
  test('capability, heartbeat, status, chunk, cancel, receipt', async () => {
    const cap = await buildCapability(node, exampleCapability)
    assert.equal(cap.kind, kinds.Capability)
    assert.ok(parseCapability(cap).ok)
    const hb = await buildHeartbeat(node, { ...exampleHeartbeat, interval: 30 })
    assert.ok(parseHeartbeat(hb).ok)
    const st = await buildJobStatus(node, { job: 'a'.repeat(64), client: client.pubkey, status: 'error', content: { code: 'busy', message: 'no free slot' } })
    const parsedSt = parseJobStatus(st)
    assert.ok(parsedSt.ok && parsedSt.data.code === 'busy')
    const ch = await buildStreamChunk(node, { job: 'a'.repeat(64), client: client.pubkey, seq: 7, text: 'tok' })
    assert.ok(parseStreamChunk(ch).ok)
    assert.ok(parseJobCancel(await buildJobCancel(client, { job: 'a'.repeat(64), node: node.pubkey })).ok)
    const rc = await buildReceiptEvent(client, { node: node.pubkey, voucher: exampleVoucher })
    assert.ok(parseReceiptEvent(rc).ok)
  })
  test('job request: only the addressed node can read it', async () => {
    const ev = await buildJobRequest(client, { node: node.pubkey, payload })
    assert.ok(!ev.content.includes('Say hello'))
    assert.ok((await decryptJobRequest(ev, node)).ok)
    const other = await decryptJobRequest(ev, stranger)
    assert.ok(!other.ok && other.code === 'undecryptable')
  })
  test('job request: large prompts are split over several NIP-44 payloads', async () => {
    const big = { ...payload, messages: [{ role: 'user' as const, content: 'x'.repeat(150_000) }] }
    const ev = await buildJobRequest(client, { node: node.pubkey, payload: big })
    assert.ok(ev.content.split(' ').length >= 3)
    const back = await decryptJobRequest(ev, node)
    assert.ok(back.ok && back.data.v !== 3 && back.data.messages[0]!.content?.length === 150_000)
    await assert.rejects(buildJobRequest(client, { node: node.pubkey, payload: { ...payload, messages: [{ role: 'user', content: 'x'.repeat(300_000) }] } }), /limit is/)
  })
  test('job result: amount and hash are what the node signs', async () => {
    const ev = await buildJobResult(node, {
      job: 'b'.repeat(64), client: client.pubkey, model: 'm', usage: { promptTokens: 10, completionTokens: 5 },
      amount: 123n, output: 'out', finishReason: 'length', ttftMs: 3.4, durationMs: 9.6,
    })
    const r = parseJobResult(ev)
    assert.ok(r.ok)
    assert.equal(r.data.amount, 123n)
    assert.equal(r.data.ttftMs, 3)
    assert.equal(r.data.durationMs, 10)
    const content = await decryptJobResult(ev, client)
    assert.ok(content.ok && content.data.text === undefined && content.data.output === outputHash('out'))
  })
  test('result rejection: every field round-trips; bad tags are refused', async () => {
    const ev = await buildResultRejection(client, {
      job: 'b'.repeat(64), node: node.pubkey, result: 'c'.repeat(64), code: 'completion-overcharge', message: 'usage claims 400 completion tokens for 6 bytes of output',
      claimed: { promptTokens: 30, completionTokens: 400 }, bound: { promptTokens: 75, completionTokens: 7 },
    })
    const r = parseResultRejection(ev)
    assert.ok(r.ok)
    assert.deepEqual([r.data.code, r.data.claimed, r.data.bound, r.data.result, r.data.client], ['completion-overcharge', { promptTokens: 30, completionTokens: 400 }, { promptTokens: 75, completionTokens: 7 }, 'c'.repeat(64), client.pubkey])
    const code = (tags: string[][]) => {
      const parsed = parseResultRejection(finalizeEvent({ kind: kinds.ResultRejection, created_at: ev.created_at, tags, content: '' }, client.secretKey))
      return parsed.ok ? 'ok' : `${parsed.code}: ${parsed.reason}`
    }
    const e = ['e', 'b'.repeat(64)]
    const p = ['p', node.pubkey]
    assert.equal(code([e, p, ['reason', 'bad-event']]), 'ok')
    assert.match(code([e, p, ['reason', 'did-not-like-it']]), /^bad-tag: .*unknown rejection code/)
    assert.match(code([e, p]), /^missing-tag: .*"reason"/)
    assert.match(code([e, p, ['reason', 'wrong-amount'], ['usage', '1']]), /^bad-tag: .*"usage"/)
    assert.match(code([e, p, ['reason', 'wrong-amount'], ['result', 'x']]), /^bad-tag: .*"result"/)
  })
})

describe('rejections: each defect has its own code', () => {
  const base = vectors.capability as NostrEvent
  const cases: [string, () => unknown, string, RegExp][] = [
    ['not an object', () => 'x', 'malformed', /JSON object/],
    ['non-hex id', () => ({ ...base, id: 'zz' }), 'malformed', /id must be/],
    ['wrong id', () => ({ ...base, id: 'f'.repeat(64) }), 'bad-id', /sha256/],
    ['bad signature', () => ({ ...base, sig: base.sig.slice(0, -2) + (base.sig.endsWith('00') ? '01' : '00') }), 'bad-signature', /signature/],
    ['signed by someone else', () => ({ ...base, pubkey: stranger.pubkey }), 'bad-id', /sha256/],
    ['wrong kind', () => vectors.heartbeat, 'wrong-kind', /expected kind 33830/],
    ['missing d tag', () => resign(base, { tags: base.tags.filter((t) => t[0] !== 'd') }), 'missing-tag', /"d"/],
    ['duplicate d tag', () => resign(base, { tags: [...base.tags, ['d', 'infernet']] }), 'duplicate-tag', /2 times/],
    ['content not JSON', () => resign(base, { content: '{nope' }), 'bad-content', /not valid JSON/],
    ['content off schema', () => resign(base, { content: JSON.stringify({ ...exampleCapability, maxConcurrency: -1 }) }), 'bad-content', /maxConcurrency/],
    ['oversized', () => resign(base, { content: JSON.stringify({ ...exampleCapability, name: 'x'.repeat(20_000) }) }), 'too-large', /limit for kind/],
    ['too many tags', () => resign(base, { tags: [...base.tags, ...Array.from({ length: 70 }, (_, i) => ['t', String(i)])] }), 'too-many-tags', /limit is 64/],
    ['expired', () => resign(base, { tags: base.tags.map((t) => (t[0] === 'expiration' ? ['expiration', String(fixedNow - 1)] : t)) }), 'expired', /expired at/],
    ['from the future', () => resign(base, { created_at: fixedNow + 3600 }), 'future', /in the future/],
    ['untagged model', () => resign(base, { tags: base.tags.filter((t) => t[0] !== 'm') }), 'bad-tag', /no "m" tag/],
  ]
  for (const [name, make, code, reason] of cases) {
    test(name, () => {
      const r = parseCapability(make(), opts)
      assert.equal(r.ok, false)
      if (r.ok) return
      assert.equal(r.code, code)
      assert.match(r.reason, reason)
      assert.match(r.reason, /^invalid: /)
    })
  }
  test('job request without a p tag, and with an empty content', () => {
    const job = vectors.jobRequest as NostrEvent
    const noP = parseJobRequest(resign(job, { tags: job.tags.filter((t) => t[0] !== 'p') }, client.secretKey), opts)
    assert.ok(!noP.ok && noP.code === 'missing-tag')
    const empty = parseJobRequest(resign(job, { content: '' }, client.secretKey), opts)
    assert.ok(!empty.ok && empty.code === 'bad-content')
  })
  test('tampered job ciphertext is undecryptable', async () => {
    const job = vectors.jobRequest as NostrEvent
    const c = job.content
    const tampered = resign(job, { content: c.slice(0, 40) + (c[40] === 'A' ? 'B' : 'A') + c.slice(41) }, client.secretKey)
    const r = await decryptJobRequest(tampered, node)
    assert.ok(!r.ok && r.code === 'undecryptable' && /MAC|padding|base64/.test(r.reason))
  })
  test('decrypted payload off schema is bad-content', async () => {
    const ev = await buildJobRequest(client, { node: node.pubkey, payload })
    const { encrypt } = await import('../../src/protocol/nip44.ts')
    const bad = resign(ev, { content: encrypt(JSON.stringify({ v: 1, model: 'm', messages: [] }), client.conversationKey(node.pubkey)) }, client.secretKey)
    const r = await decryptJobRequest(bad, node)
    assert.ok(!r.ok && r.code === 'bad-content' && /messages/.test(r.reason))
  })
  test('status with an unknown name, and error without a code', () => {
    const st = vectors.jobStatus as NostrEvent
    const unknown = parseJobStatus(resign(st, { tags: st.tags.map((t) => (t[0] === 'status' ? ['status', 'dancing'] : t)) }), opts)
    assert.ok(!unknown.ok && /unknown status/.test(unknown.reason))
    const noCode = parseJobStatus(resign(st, { tags: st.tags.map((t) => (t[0] === 'status' ? ['status', 'error'] : t)) }), opts)
    assert.ok(!noCode.ok && /must carry a code/.test(noCode.reason))
  })
  test('generic validateEvent accepts any kind and still checks signatures', () => {
    assert.ok(validateEvent(vectors.jobCancel, kinds.JobCancel, opts).ok)
  })
})

describe('NIP-98 stream auth', () => {
  const url = 'http://127.0.0.1:8790/v1/jobs'
  const body = '{"hello":1}'
  test('binds url, method, body hash and time; replays fail', async () => {
    const ev = await buildAuthEvent(client, { url, method: 'post', body, now: fixedNow })
    const header = encodeAuthHeader(ev)
    const decoded = decodeAuthHeader(header)
    assert.ok(!('ok' in decoded))
    const guard = new ReplayGuard()
    assert.ok(verifyAuthEvent(decoded, { url, method: 'POST', body }, { now: fixedNow, replay: guard }).ok)
    const replay = verifyAuthEvent(decoded, { url, method: 'POST', body }, { now: fixedNow + 1, replay: guard })
    assert.ok(!replay.ok && replay.code === 'replayed')
    const cases: [Parameters<typeof verifyAuthEvent>[1], number, RegExp][] = [
      [{ url: url + '?x', method: 'POST', body }, fixedNow, /"u" tag/],
      [{ url, method: 'GET', body }, fixedNow, /"method" tag/],
      [{ url, method: 'POST', body: body + ' ' }, fixedNow, /payload/],
      [{ url, method: 'POST', body }, fixedNow + 61, /old, window/],
      [{ url, method: 'POST', body }, fixedNow - 61, /old, window|future/],
    ]
    for (const [binding, now, reason] of cases) {
      const r = verifyAuthEvent(ev, binding, { now, maxFuture: 3600 })
      assert.ok(!r.ok, `expected rejection for ${reason}`)
      assert.match(r.reason, reason)
    }
  })
  test('a connection auth carries a nonce and no payload; a per-job auth cannot stand in for one', async () => {
    const ws = 'ws://127.0.0.1:8790/v1/ws'
    const a = await buildAuthEvent(client, { url: ws, method: 'WS', connection: true, now: fixedNow })
    const b = await buildAuthEvent(client, { url: ws, method: 'WS', connection: true, now: fixedNow })
    assert.notEqual(a.id, b.id, 'two connections in the same second sign different events')
    assert.equal(a.tags.find((t) => t[0] === 'payload'), undefined)
    assert.ok(verifyAuthEvent(a, { url: ws, method: 'WS', connection: true }, { now: fixedNow }).ok)
    const perJob = await buildAuthEvent(client, { url: ws, method: 'WS', payloadHash: 'ab'.repeat(32), now: fixedNow })
    const r = verifyAuthEvent(perJob, { url: ws, method: 'WS', connection: true }, { now: fixedNow })
    assert.ok(!r.ok && /no "payload" tag/.test(r.reason))
  })
  test('malformed headers', () => {
    for (const h of [undefined, 'Bearer x', 'Nostr !!!', 'Nostr ' + btoa('not json')]) {
      const r = decodeAuthHeader(h)
      assert.ok('ok' in r && r.ok === false)
    }
  })
  test('a full guard refuses new ids rather than forgetting live ones, and says why', () => {
    const guard = new ReplayGuard({ maxEntries: 2 })
    const a = (id: string, pubkey = 'k1') => ({ id, pubkey })
    assert.ok(guard.claim(a('a'), 100, 0).ok)
    assert.ok(guard.claim(a('b', 'k2'), 100, 0).ok)
    const full = guard.claim(a('c', 'k3'), 100, 0)
    assert.ok(!full.ok && full.code === 'rate-limited')
    assert.match(full.reason, /^rate-limited: this node holds 2 auth events in use, its limit; retry in 100 s/)
    assert.ok(guard.claim(a('c'), 200, 150).ok)
    const again = guard.claim(a('c'), 200, 150)
    assert.ok(!again.ok && again.code === 'replayed')
    assert.match(again.reason, /already used/)
  })
  test('one key fills only its own share of the guard', () => {
    const guard = new ReplayGuard({ maxEntries: 10, maxPerKey: 3 })
    for (const id of ['1', '2', '3']) assert.ok(guard.claim({ id, pubkey: 'flood' }, 50, 0).ok)
    const refused = guard.claim({ id: '4', pubkey: 'flood' }, 50, 0)
    assert.ok(!refused.ok && refused.code === 'rate-limited')
    assert.match(refused.reason, /this key has 3 auth events in use \(at most 3\); retry in 50 s/)
    // Another key is untouched, and the flooding key's ids stay remembered (its replays still fail).
    assert.ok(guard.claim({ id: 'x', pubkey: 'honest' }, 50, 0).ok)
    assert.equal(guard.claim({ id: '1', pubkey: 'flood' }, 50, 10).ok, false)
    // Once its ids expire the key has room again.
    assert.ok(guard.claim({ id: '4', pubkey: 'flood' }, 100, 50).ok)
    assert.equal(guard.size, 2)
  })
  test('auth window: at most 30 s old and 15 s ahead, with the reason', async () => {
    const ev = await buildAuthEvent(client, { url, method: 'POST', body, now: fixedNow })
    const at = (now: number) => verifyAuthEvent(ev, { url, method: 'POST', body }, { now })
    assert.ok(at(fixedNow + 30).ok)
    assert.ok(at(fixedNow - 15).ok)
    const old = at(fixedNow + 31)
    assert.ok(!old.ok && old.code === 'expired')
    assert.match(old.reason, /31s old, window is 30s/)
    const ahead = at(fixedNow - 16)
    assert.ok(!ahead.ok && ahead.code === 'future')
    assert.match(ahead.reason, /16s in the future \(at most 15s ahead/)
  })
})

describe('deferred signature check', () => {
  test('checks the id at once and leaves the signature to isAuthentic, caching nothing before it', () => {
    const base = vectors.capability as NostrEvent
    const badSig = { ...base, sig: base.sig.slice(0, -2) + (base.sig.endsWith('00') ? '01' : '00') }
    const deferred = validateEvent(badSig, kinds.Capability, { now: fixedNow, deferSignature: true })
    assert.ok(deferred.ok)
    assert.equal(isAuthentic(badSig), false)
    assert.equal(validateEvent({ ...badSig }, kinds.Capability, { now: fixedNow }).ok, false)
    const badId = validateEvent({ ...base, id: 'f'.repeat(64) }, kinds.Capability, { now: fixedNow, deferSignature: true })
    assert.ok(!badId.ok && badId.code === 'bad-id')
  })
})

describe('pricing and stream URLs', () => {
  test('amount due rounds up and bids compare per side', () => {
    assert.equal(amountDue({ promptTokens: 0, completionTokens: 0 }, { input: '5', output: '7' }), 0n)
    assert.equal(amountDue({ promptTokens: 1, completionTokens: 0 }, { input: '1', output: '0' }), 1n)
    assert.equal(amountDue({ promptTokens: 1_000_000, completionTokens: 2_000_000 }, { input: '3', output: '5' }), 13n)
    assert.equal(amountDue({ promptTokens: 10, completionTokens: 20 }, { input: '10000000000000000000', output: '1' }), 100000000000000n + 1n)
    assert.ok(bidCovers({ input: '5', output: '5' }, { input: '5', output: '4' }))
    assert.ok(!bidCovers({ input: '5', output: '3' }, { input: '5', output: '4' }))
  })
  test('ws and sse URLs keep a path prefix', () => {
    assert.equal(wsUrl('http://h:1/node'), 'ws://h:1/node/v1/ws')
    assert.equal(wsUrl('https://h'), 'wss://h/v1/ws')
    assert.equal(sseUrl('ws://h:2'), 'http://h:2/v1/jobs')
  })
})
