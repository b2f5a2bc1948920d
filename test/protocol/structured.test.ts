// Job payload v2, structured deltas and the result of a v2 job, against test/vectors/structured.json
// (scripts/makeStructuredVectors.ts) and the rules of nips/job-request.md, nips/stream.md and nips/job-result.md.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { chatMessageV2, checkImageUrl } from '../../src/protocol/chatMessage.ts'
import { jobPayload, decryptJobRequest, payloadVersionFor } from '../../src/protocol/jobRequest.ts'
import { decryptJobResult, parseJobResult } from '../../src/protocol/jobResult.ts'
import { maxImageBytes } from '../../src/protocol/limits.ts'
import { decryptDelta } from '../../src/protocol/streamChunk.ts'
import { appendDelta, assembleOutput, canonicalOutput, completingDelta, decodeDelta, fromOutputJson, isStructuredDelta, mergeDeltas, structuredDelta, structuredOutputHash, type StructuredDelta } from '../../src/protocol/streamDelta.ts'
import { maxCompletionTokens } from '../../src/protocol/usageBounds.ts'
import { testSigner } from '../helpers/keys.ts'

const vectors = JSON.parse(readFileSync(new URL('../vectors/structured.json', import.meta.url), 'utf8'))
const node = testSigner('node')
const client = testSigner('client')

describe('job payload v2 (test/vectors/structured.json)', () => {
  it('the node decrypts the v2 job: parts, an inline image, tool calls and a tool answer, tools', async () => {
    const r = await decryptJobRequest(vectors.jobRequestV2, node)
    assert.ok(r.ok, r.ok ? '' : r.reason)
    assert.equal(r.data.v, 2)
    assert.deepEqual(r.data, jobPayload.parse(vectors.payloadV2))
  })
  it('a payload version nobody speaks is refused as such, not misread', async () => {
    const r = await decryptJobRequest(vectors.jobRequestV4, node)
    assert.ok(!r.ok && r.code === 'unsupported-version')
    assert.match(r.reason, /unsupported payload version 4: this node speaks 1, 2 and 3/)
  })
  it('v1 refuses fields whose answer only v2 carries; text stays v1', () => {
    const base = { v: 1, model: 'm', messages: [{ role: 'user', content: 'hi' }], bid: { input: '1', output: '1' }, transport: 'direct' }
    const r = jobPayload.safeParse({ ...base, params: { tools: [vectors.payloadV2.params.tools[0]] } })
    assert.ok(!r.success && /tools needs payload version 2/.test(r.error.issues[0]!.message))
    assert.equal(payloadVersionFor([{ role: 'user', content: 'hi' }], { temperature: 0.2 }), 1)
    assert.equal(payloadVersionFor([{ role: 'user', content: 'hi' }], { tool_choice: 'auto' }), 2)
    assert.equal(payloadVersionFor(vectors.payloadV2.messages, {}), 2)
  })
  it('message rules: a tool message names its call, only assistants call, images are inline and bounded', () => {
    const issue = (m: unknown) => {
      const r = chatMessageV2.safeParse(m)
      return r.success ? undefined : r.error.issues[0]!.path.join('.')
    }
    assert.equal(issue({ role: 'tool', content: 'x' }), 'tool_call_id')
    assert.equal(issue({ role: 'user', content: 'x', tool_calls: vectors.payloadV2.messages[1].tool_calls }), 'tool_calls')
    assert.equal(issue({ role: 'user', content: null }), 'content')
    assert.match(checkImageUrl('https://example.com/a.png')!, /remote image URLs/)
    assert.match(checkImageUrl(`data:image/png;base64,${'A'.repeat(Math.ceil((maxImageBytes + 3) / 3) * 4)}`)!, /limit is/)
    assert.equal(checkImageUrl(vectors.payloadV2.messages[0].content[1].image_url.url), undefined)
  })
  it('tool schemas must be object schemas, at most 128 tools', () => {
    const base = { ...vectors.payloadV2 }
    const bad = jobPayload.safeParse({ ...base, params: { tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'string' } } }] } })
    assert.ok(!bad.success && bad.error.issues[0]!.path.join('.') === 'params.tools.0.function.parameters')
    const many = Array.from({ length: 129 }, (_, i) => ({ type: 'function', function: { name: `f${i}` } }))
    assert.ok(!jobPayload.safeParse({ ...base, params: { tools: many } }).success)
  })
})

describe('structured deltas and the v2 result', () => {
  it('chunk plaintexts are the JSON deltas; the chunk event decrypts to one', () => {
    assert.deepEqual(vectors.chunkPlaintexts.map((p: string) => (decodeDelta(p) as { delta: StructuredDelta }).delta), vectors.deltas)
    const plain = decryptDelta(client.conversationKey(node.pubkey), vectors.streamChunkV2.content)
    assert.equal(plain, vectors.chunkPlaintexts[1])
    assert.ok(!decodeDelta('Hello').ok)
  })
  it('the hand check of a delta answers as the schema does: valid, malformed and every field mutated', () => {
    const valid: unknown[] = [
      ...vectors.deltas,
      {},
      { text: '' },
      { tool_calls: [{ index: 63, id: 'x'.repeat(128), name: 'A_b-9', arguments: '' }] },
      { logprobs: [{ token: 'a', logprob: -1, top_logprobs: [{ token: 'a', logprob: -1 }] }] },
    ]
    const bad: unknown[] = [
      null, [], 'text', 1, { extra: 1 }, { text: 1 }, { text: null }, { reasoning: [] },
      { tool_calls: {} }, { tool_calls: [null] }, { tool_calls: [{}] }, { tool_calls: [{ index: -1 }] }, { tool_calls: [{ index: 64 }] },
      { tool_calls: [{ index: 1.5 }] }, { tool_calls: [{ index: '0' }] }, { tool_calls: [{ index: 0, id: '' }] }, { tool_calls: [{ index: 0, id: 'x'.repeat(129) }] },
      { tool_calls: [{ index: 0, name: 'a b' }] }, { tool_calls: [{ index: 0, name: 'x'.repeat(65) }] }, { tool_calls: [{ index: 0, arguments: 1 }] },
      { tool_calls: [{ index: 0, type: 'function' }] }, { tool_calls: Array.from({ length: 257 }, () => ({ index: 0 })) },
      { logprobs: [{ token: 'a' }] }, { logprobs: [{ token: 'a', logprob: '1' }] }, { logprobs: [{ token: 'a', logprob: 0, bytes: [] }] },
      { logprobs: [{ token: 'a', logprob: 0, top_logprobs: [{ token: 'a' }] }] }, { logprobs: [{ token: 'a', logprob: 0, top_logprobs: Array.from({ length: 21 }, () => ({ token: 'a', logprob: 0 })) }] },
      JSON.parse('{"__proto__": {"text": 1}}'),
    ]
    for (const raw of [...valid, ...bad]) {
      const json = JSON.parse(JSON.stringify(raw) ?? 'null') as unknown
      assert.equal(isStructuredDelta(json), structuredDelta.safeParse(json).success, JSON.stringify(raw)?.slice(0, 80))
    }
    for (const raw of valid) assert.equal(isStructuredDelta(raw), true)
    // A refusal still names the field.
    assert.deepEqual(decodeDelta('{"tool_calls":[{"index":0,"name":"a b"}]}'), { ok: false, reason: 'bad version 2 chunk: tool_calls.0.name: function names use letters, digits, _ and -, at most 64' })
  })
  it('deltas assemble to the output; its canonical form and hash are fixed', () => {
    const output = assembleOutput(vectors.deltas)
    assert.deepEqual(output, vectors.output)
    assert.equal(canonicalOutput(output), vectors.canonicalOutput)
    assert.equal(structuredOutputHash(output), vectors.outputHash)
    // Batching does not change what they assemble to.
    assert.deepEqual(assembleOutput([vectors.deltas.reduce(mergeDeltas, {})]), output)
  })
  it('appendDelta accumulates in place exactly what mergeDeltas returns, without changing or aliasing its inputs', () => {
    const deltas: StructuredDelta[] = [
      ...vectors.deltas,
      { text: 'a', logprobs: [{ token: 'a', logprob: -0.1, top_logprobs: [{ token: 'a', logprob: -0.1 }] }] },
      { tool_calls: [{ index: 1, id: 'call_9', name: 'f', arguments: '{' }] },
      { tool_calls: [{ index: 1, arguments: '}' }], logprobs: [{ token: '}', logprob: -2 }] },
      { reasoning: 'r', text: 'b' },
    ]
    const before = JSON.stringify(deltas)
    const acc: StructuredDelta = {}
    for (const d of deltas) appendDelta(acc, d)
    assert.deepEqual(acc, deltas.reduce(mergeDeltas, {}))
    assert.equal(JSON.stringify(deltas), before, 'the inputs are unchanged')
    acc.tool_calls![0]!.arguments += 'changed'
    assert.equal(JSON.stringify(deltas), before, 'nothing of them is aliased into the accumulator')
  })
  it('the result of a v2 job says so, hashes the structured output and carries it for the relay transport', async () => {
    const parsed = parseJobResult(vectors.jobResultV2)
    assert.ok(parsed.ok && parsed.data.finishReason === 'tool_calls')
    const content = await decryptJobResult(vectors.jobResultV2, client)
    assert.ok(content.ok)
    assert.equal(content.data.shape, 'structured')
    assert.equal(content.data.output, vectors.outputHash)
    assert.deepEqual(fromOutputJson(content.data.structured!), vectors.output)
  })
  it('a client that lost chunks completes the output from the result', () => {
    const have = assembleOutput(vectors.deltas.slice(0, 3))
    const rest = completingDelta(have, vectors.output)!
    assert.deepEqual(assembleOutput([...vectors.deltas.slice(0, 3), rest]), vectors.output)
  })
  it('a tool call counts as output in the usage bounds (issue 17: 39 tokens for "0 bytes")', () => {
    const bound = maxCompletionTokens({ model: 'tiny-a', output: vectors.output })
    assert.ok(bound >= 39, String(bound))
    assert.ok(maxCompletionTokens({ model: 'tiny-a', output: '' }) < 39)
  })
})
