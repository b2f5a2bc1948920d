// A body nested deeper than the coordinator allows is a 400 naming the problem, before anything walks it: an unknown
// gateway field nested 200,000 levels deep used to pass through to the job and overflow the stack there (a 500).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createCoordinator } from '../../src/coordinator/app.ts'
import { defaultMaxJsonDepth, jsonDepthExceeded } from '../../src/coordinator/http.ts'
import type { GatewayNetwork } from '../../src/coordinator/gateway/network.ts'
import { fakeNode } from './fixtures.ts'

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth)

describe('JSON nesting bound (http.ts)', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    assert.equal(jsonDepthExceeded('{"a":[1,{"b":2}]}', 3), -1)
    assert.equal(jsonDepthExceeded('{"a":[1,{"b":2}]}', 2), 8)
    assert.equal(jsonDepthExceeded(JSON.stringify({ s: '[[[[{{{{\\"[[[' }), 1), -1)
    assert.equal(jsonDepthExceeded(nested(64), 64), -1)
    assert.equal(jsonDepthExceeded(nested(65), 64), 64)
  })

  it('the gateway answers 400 json_too_deep for a deeply nested unknown field and keeps serving', async (t) => {
    // What the SDK does with the job's params: serialize them into the encrypted payload.
    const network: GatewayNetwork = {
      chat(params) {
        const text = JSON.stringify(params.params)
        const result = Promise.resolve({ text, usage: { promptTokens: 1, completionTokens: 1 }, model: params.model, finishReason: 'stop', node: 'n'.repeat(64), cost: 0n })
        return { result, cancel() {}, async *[Symbol.asyncIterator]() {} }
      },
      close: async () => {},
    }
    const coord = createCoordinator({ relays: [], dbPath: ':memory:', network })
    t.after(() => coord.close())
    for (const e of (await fakeNode('depth-node')).events) coord.indexer.ingest(e)
    coord.indexer.flush()
    const post = (path: string, body: string) => coord.app.request(path, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
    const deep = `{"model":"llama3","messages":[{"role":"user","content":"x"}],"unknown_field":${nested(200_000)}}`
    const res = await post('/v1/chat/completions', deep)
    assert.equal(res.status, 400)
    const body = (await res.json()) as { error: { code: string; type: string; message: string } }
    assert.equal(body.error.code, 'json_too_deep')
    assert.equal(body.error.type, 'invalid_request_error')
    assert.match(body.error.message, new RegExp(`more than ${defaultMaxJsonDepth} levels deep`))
    const rest = await post('/api/v1/jobs', `{"model":"llama3","exclude":${nested(100_000)}}`)
    assert.equal(rest.status, 400)
    assert.equal(((await rest.json()) as { error: { code: string } }).error.code, 'json_too_deep')
    // Nesting within the bound passes through to the node untouched.
    const fine = await post('/v1/chat/completions', JSON.stringify({ model: 'llama3', messages: [{ role: 'user', content: 'x' }], engine_options: { a: { b: { c: [[1]] } } } }))
    assert.equal(fine.status, 200)
    assert.match(((await fine.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content, /"engine_options":\{"a":\{"b":\{"c":\[\[1\]\]\}\}\}/)
  })
})
