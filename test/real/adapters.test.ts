// One real llama-server behind every OpenAI-compatible adapter, two models behind one node, and `infernet setup`
// against the real engine. vLLM, SGLang and MAX speak the same wire format as llama.cpp's server, so their
// adapters must serve it as they are (each with its own health and version probes); a llama-server started with
// --models-dir serves several models on one port, which one node announces together with each model's digest.
import assert from 'node:assert/strict'
import { execFile, execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import WebSocket from 'ws'
import { createBackend } from '../../node/backends/index.ts'
import type { BackendKind } from '../../node/backends/types.ts'
import { createRelayPool, type WebSocketConstructor } from '../../src/net/relayPool.ts'
import { parseCapability } from '../../src/protocol/capability.ts'
import * as kinds from '../../src/protocol/kinds.ts'
import { createTestClient } from '../helpers/client.ts'
import { engine, engineMissingHint, startLlamaServer, tempModelDir, type LlamaServer } from '../helpers/engine/llamaServer.ts'
import { tinyModels, writeTinyModel } from '../helpers/engine/tinyModel.ts'
import { waitFor } from '../helpers/network.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const skip = engine() ? false : engineMissingHint
const sha256 = (path: string) => `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`
const messages = [{ role: 'user' as const, content: 'Say something about relays.' }]
const bin = new URL('../../bin/infernet.js', import.meta.url).pathname

async function directText(url: string, model: string, maxTokens: number): Promise<string> {
  // A fresh connection each time: llama-server's router may close an idle keep-alive socket under a reused one.
  const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { connection: 'close' }, body: JSON.stringify({ model, messages, max_tokens: maxTokens, temperature: 0 }) })
  return ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content
}

describe('real engine: adapters, several models, setup', { skip }, () => {
  const dir = tempModelDir()
  let relay: TestRelay
  let single: LlamaServer
  let router: LlamaServer
  const files: Record<string, string> = {}

  before(async () => {
    const modelsDir = join(dir.path, 'models')
    mkdirSync(modelsDir)
    files['tiny-a'] = writeTinyModel(join(modelsDir, 'tiny-a.gguf'), tinyModels.a)
    files['tiny-b'] = writeTinyModel(join(modelsDir, 'tiny-b.gguf'), tinyModels.b)
    relay = await startRelay()
    ;[single, router] = await Promise.all([
      startLlamaServer({ model: files['tiny-a'], alias: 'tiny-a', parallel: 4 }),
      // Router mode: each model runs in its own instance, started on first use.
      startLlamaServer({ model: { modelsDir }, parallel: 1 }),
    ])
  })
  after(async () => {
    await Promise.all([single?.stop(), router?.stop()])
    await relay?.close()
    dir.remove()
  })

  for (const kind of ['vllm', 'sglang', 'max', 'llamacpp'] as BackendKind[]) {
    it(`the ${kind} adapter serves llama-server as it is: health, models, the engine's text through a node`, async (t) => {
      const backend = createBackend({ kind, baseUrl: single.url })
      const health = await backend.health()
      assert.equal(health.ok, true, JSON.stringify(health))
      assert.deepEqual((await backend.listModels()).map((m) => m.id), ['tiny-a'])
      const node: TestNode = await startNode({ relays: [relay.url], backend })
      t.after(() => node.stop())
      const client = createTestClient({ relays: [relay.url], name: `real-${kind}` })
      t.after(() => client.close())
      const r = await client.complete({ model: 'tiny-a', messages, params: { max_tokens: 10, temperature: 0 }, routing: { pin: node.pubkey } })
      assert.equal(r.node, node.pubkey)
      assert.equal(r.text, await directText(single.url, 'tiny-a', 10))
      assert.equal(r.usage.completionTokens, 10)
    })
  }

  it('one node, two models behind llama-server --models-dir: both announced with their digests, both served', async (t) => {
    const node = await startNode({ relays: [relay.url], backend: { kind: 'llamacpp', baseUrl: router.url } })
    t.after(() => node.stop())
    const client = createTestClient({ relays: [relay.url], name: 'real-router' })
    t.after(() => client.close())
    await waitFor(async () => (await client.nodes({ model: 'tiny-b' })).some((n) => n.pubkey === node.pubkey && n.live), 'the node live for tiny-b')
    const entry = (await client.nodes({ model: 'tiny-a' })).find((n) => n.pubkey === node.pubkey)!
    assert.deepEqual(
      entry.capability.models.map((m) => [m.id, m.digest]),
      [['tiny-a', sha256(files['tiny-a']!)], ['tiny-b', sha256(files['tiny-b']!)]],
    )
    const texts: string[] = []
    for (const model of ['tiny-a', 'tiny-b']) {
      const expected = await directText(router.url, model, 8)
      const r = await client.complete({ model: `${model}@${sha256(files[model]!)}`, messages, params: { max_tokens: 8, temperature: 0 }, routing: { pin: node.pubkey } })
      assert.equal(r.text, expected, model)
      texts.push(r.text)
    }
    assert.notEqual(texts[0], texts[1], 'two models, two answers')
  })

  it('infernet setup --yes --backend llamacpp detects the engine\'s model and publishes it', async (t) => {
    const home = tempModelDir()
    t.after(() => home.remove())
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [bin, 'setup', '--yes', '--json', '--home', home.path, '--relay', relay.url, '--backend', 'llamacpp', '--backend-url', single.url, '--price', '0,0'],
      { env: { ...process.env, INFERNET_LOG_LEVEL: 'warn' } },
    )
    const summary = JSON.parse(stdout.trim()) as { pubkey: string; models: string[] }
    assert.deepEqual(summary.models, ['tiny-a'])
    let hasGpuTool = true
    try {
      execFileSync('nvidia-smi', ['-L'], { stdio: 'ignore' })
    } catch {
      hasGpuTool = false
    }
    // This machine has no GPU: setup says so instead of naming the CPU as one.
    if (!hasGpuTool) assert.match(stderr, /no GPU found; CPU inference, \d+ GiB RAM/)
    const pool = createRelayPool({ urls: [relay.url], WebSocket: WebSocket as unknown as WebSocketConstructor })
    t.after(() => pool.close())
    await pool.ready()
    const [cap] = await pool.query([{ kinds: [kinds.Capability], authors: [summary.pubkey] }])
    const parsed = parseCapability(cap)
    assert.ok(parsed.ok, JSON.stringify(parsed))
    assert.equal(parsed.data.backend, 'llamacpp')
    assert.deepEqual(parsed.data.models.map((m) => [m.id, m.contextLength, m.digest]), [['tiny-a', 512, sha256(files['tiny-a']!)]])
    if (!hasGpuTool) assert.deepEqual(parsed.data.gpus, [])
  })
})
