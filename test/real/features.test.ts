// The features the llama.cpp adapter reads from the real llama-server's /props (nips/capability.md "Features"):
// the tiny model's own ChatML template renders no tools, and the server then answers a tools request with plain
// text, the tools silently left out of the prompt; with a template that renders them (Qwen 2.5's, shipped with
// the engine build) the same weights announce tools. Skipped when the engine is not built (`npm run engine`).
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createBackend } from '../../node/backends/index.ts'
import { engine, engineMissingHint, startLlamaServer, type LlamaServer } from '../helpers/engine/llamaServer.ts'
import { tinyModels } from '../helpers/engine/tinyModel.ts'

const found = engine()
const skip = found ? false : engineMissingHint
const tools = [{ type: 'function', function: { name: 'now', description: 'the time', parameters: { type: 'object', properties: { tz: { type: 'string' } }, required: ['tz'] } } }]

async function promptTokens(url: string, body: Record<string, unknown>): Promise<number> {
  const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { connection: 'close' }, body: JSON.stringify({ model: 'tiny-a', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1, ...body }) })
  assert.equal(res.status, 200)
  return ((await res.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens
}

describe('real engine: features from /props', { skip }, () => {
  let plain: LlamaServer
  let qwen: LlamaServer
  before(async () => {
    ;[plain, qwen] = await Promise.all([
      startLlamaServer({ model: tinyModels.a, alias: 'tiny-a' }),
      startLlamaServer({ model: tinyModels.a, alias: 'tiny-a', args: ['--chat-template-file', join(found!.shareDir ?? '', 'Qwen-Qwen2.5-7B-Instruct.jinja')] }),
    ])
  })
  after(() => Promise.all([plain?.stop(), qwen?.stop()]))

  it('a template without tools: no tools announced, and the engine indeed drops them without an error', async () => {
    const [model] = await createBackend({ kind: 'llamacpp', baseUrl: plain.url }).listModels()
    assert.deepEqual(model?.features, ['chat', 'json_schema', 'logprobs'])
    // Why a model that says nothing must not be sent tools: the prompt is the same with and without them.
    assert.equal(await promptTokens(plain.url, { tools }), await promptTokens(plain.url, {}))
  })

  it('a template that renders tools: tools announced, and they reach the prompt', async () => {
    const [model] = await createBackend({ kind: 'llamacpp', baseUrl: qwen.url }).listModels()
    assert.deepEqual(model?.features, ['chat', 'tools', 'json_schema', 'logprobs'])
    assert.ok((await promptTokens(qwen.url, { tools })) > (await promptTokens(qwen.url, {})))
  })
})
