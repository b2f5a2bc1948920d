// Model identity on the real engine: two nodes announce `tiny-a`, one with the real tiny-a weights and one with
// tiny-b's under the same name. Each announces the sha256 of the file its engine loaded, /v1/models shows both
// digests under the name, and a caller who pins the digest (`tiny-a@sha256:…`, whole or a 12-digit prefix) gets
// the weights it asked for, through the gateway and the SDK alike.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import OpenAI, { APIError } from 'openai'
import { createTestClient } from '../helpers/client.ts'
import { startCoordinator, type TestCoordinator } from '../helpers/coordinator.ts'
import { engine, engineMissingHint, startLlamaServer, tempModelDir, type LlamaServer } from '../helpers/engine/llamaServer.ts'
import { tinyModels, writeTinyModel } from '../helpers/engine/tinyModel.ts'
import { waitFor } from '../helpers/network.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const skip = engine() ? false : engineMissingHint
const sha256 = (path: string) => `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`
const messages = [{ role: 'user' as const, content: 'Which weights answer?' }]

describe('real engine: model identity by digest', { skip }, () => {
  const dir = tempModelDir()
  let relay: TestRelay
  let engines: LlamaServer[] = []
  let nodes: TestNode[] = []
  let coord: TestCoordinator
  let digests: string[] = []

  before(async () => {
    // Same name, other weights: the substitution a digest exposes.
    const files = [writeTinyModel(join(dir.path, 'a.gguf'), tinyModels.a), writeTinyModel(join(dir.path, 'b.gguf'), tinyModels.b)]
    digests = files.map(sha256)
    relay = await startRelay()
    engines = await Promise.all(files.map((f) => startLlamaServer({ model: f, alias: 'tiny-a' })))
    nodes = await Promise.all(engines.map((e) => startNode({ relays: [relay.url], backend: { kind: 'llamacpp', baseUrl: e.url } })))
    coord = await startCoordinator({ relays: [relay.url] })
    await waitFor(() => coord.coordinator.market.models(Math.floor(Date.now() / 1000)).find((m) => m.id === 'tiny-a')?.nodes === 2, 'both nodes in the market')
  })
  after(async () => {
    await coord?.close()
    await Promise.all(nodes.map((n) => n.stop()))
    await Promise.all(engines.map((e) => e.stop()))
    await relay?.close()
    dir.remove()
  })

  it('/v1/models shows every digest served under a name', async () => {
    const res = await fetch(`${coord.url}/v1/models`)
    const body = (await res.json()) as { data: { id: string; digests: string[] }[] }
    assert.deepEqual(body.data.find((m) => m.id === 'tiny-a')?.digests, [...digests].sort())
  })

  it('a pinned digest (whole or a 12-digit prefix) reaches the node with those weights', async () => {
    const openai = new OpenAI({ apiKey: 'unused', baseURL: `${coord.url}/v1`, maxRetries: 0 })
    const client = createTestClient({ relays: [relay.url], name: 'real-identity' })
    try {
      for (const [i, digest] of digests.entries()) {
        const direct = (await (await fetch(`${engines[i]!.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ messages, max_tokens: 12, temperature: 0 }) })).json()) as { choices: { message: { content: string } }[] }
        const expected = direct.choices[0]!.message.content
        for (const pin of [digest, digest.slice(0, 'sha256:'.length + 12)]) {
          const viaGateway = await openai.chat.completions.create({ model: `tiny-a@${pin}`, messages, max_tokens: 12, temperature: 0 })
          assert.equal(viaGateway.choices[0]!.message.content, expected, `gateway, pin ${pin}`)
          const viaSdk = await client.complete({ model: `tiny-a@${pin}`, messages, params: { max_tokens: 12, temperature: 0 } })
          assert.equal(viaSdk.node, nodes[i]!.pubkey)
          assert.equal(viaSdk.text, expected)
        }
      }
      assert.notEqual(digests[0], digests[1])
    } finally {
      await client.close()
    }
  })

  it('weights nobody serves: a specific refusal naming the pin', async () => {
    const openai = new OpenAI({ apiKey: 'unused', baseURL: `${coord.url}/v1`, maxRetries: 0 })
    const err = await openai.chat.completions.create({ model: 'tiny-a@sha256:000000000000', messages, max_tokens: 4 }).then(
      () => assert.fail('served weights nobody announces'),
      (e: unknown) => e,
    )
    assert.ok(err instanceof APIError, String(err))
    assert.equal(err.status, 404)
    assert.equal(err.code, 'model_not_found')
    assert.equal(err.message, `404 No live node serves \`tiny-a\` with weights sha256:000000000000; it is served with ${[...digests].sort().join(', ')}.`)
    // The SDK, routing from relays, refuses it too, naming the pin.
    const client = createTestClient({ relays: [relay.url], name: 'real-identity-none' })
    try {
      await assert.rejects(client.complete({ model: 'tiny-a@sha256:000000000000', messages }), /no live node serves tiny-a with weights sha256:000000000000/)
    } finally {
      await client.close()
    }
  })
})
