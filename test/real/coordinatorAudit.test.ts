// The coordinator's built-in auditor on the real engine (src/coordinator/auditor.ts): given a reference engine for
// tiny-a's digest, it audits both nodes announcing that digest, one honest, one serving tiny-b's weights under it,
// publishes its verdicts signed with its own key, reads them back through the relay, and its gateway then sends
// every request to the honest node. After `auditEvery` more jobs on the honest node it audits that node again.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import OpenAI from 'openai'
import { createLlamacppBackend } from '../../node/backends/llamacpp.ts'
import { startCoordinator, type TestCoordinator } from '../helpers/coordinator.ts'
import { engine, engineMissingHint, startLlamaServer, tempModelDir, type LlamaServer } from '../helpers/engine/llamaServer.ts'
import { tinyModels, writeTinyModel } from '../helpers/engine/tinyModel.ts'
import { waitFor } from '../helpers/network.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const skip = engine() ? false : engineMissingHint
const sha256 = (path: string) => `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`

describe('real engine: the coordinator audits nodes by default when it has a reference', { skip }, () => {
  const dir = tempModelDir()
  let relay: TestRelay
  let engines: LlamaServer[] = []
  let honest: TestNode
  let substituted: TestNode
  let coord: TestCoordinator

  before(async () => {
    const a = writeTinyModel(join(dir.path, 'tiny-a.gguf'), tinyModels.a)
    const b = writeTinyModel(join(dir.path, 'tiny-b.gguf'), tinyModels.b)
    const digestA = sha256(a)
    relay = await startRelay()
    engines = await Promise.all([a, b, a].map((model) => startLlamaServer({ model, alias: 'tiny-a', parallel: 1 })))
    honest = await startNode({ relays: [relay.url], backend: { kind: 'llamacpp', baseUrl: engines[0]!.url } })
    substituted = await startNode({ relays: [relay.url], backend: createLlamacppBackend({ baseUrl: engines[1]!.url, fileDigest: async () => digestA }) })
    coord = await startCoordinator({ relays: [relay.url], config: { auditReferences: [`${digestA}=${engines[2]!.url}`], auditEvery: 3 } })
  })
  after(async () => {
    await coord?.close()
    await honest?.stop()
    await substituted?.stop()
    await Promise.all(engines.map((e) => e.stop()))
    await relay?.close()
    dir.remove()
  })

  it('fails the substituted node, passes the honest one, routes around the failure, and audits again after auditEvery jobs', async () => {
    const own = coord.coordinator.market.trustedAuditors
    const verdictsOf = (pubkey: string) => coord.coordinator.market.auditsFor(pubkey).filter((a) => own.has(a.auditor))
    await waitFor(() => verdictsOf(honest.pubkey).length >= 1 && verdictsOf(substituted.pubkey).length >= 1, 'the coordinator audited both nodes', 60_000)
    assert.equal(verdictsOf(honest.pubkey)[0]!.verdict, 'pass')
    assert.equal(verdictsOf(substituted.pubkey)[0]!.verdict, 'fail')
    assert.equal(verdictsOf(honest.pubkey)[0]!.method, 'greedy-logprob', 'llama.cpp announces logprobs')

    const openai = new OpenAI({ apiKey: 'unused', baseURL: `${coord.url}/v1`, maxRetries: 0 })
    const ask = { model: 'tiny-a', messages: [{ role: 'user' as const, content: 'Which node answers?' }], temperature: 0, max_tokens: 8, seed: 3 }
    const expected = await (await fetch(`${engines[2]!.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ask) })).json() as { choices: { message: { content: string } }[] }
    for (let i = 0; i < 4; i++) {
      const res = await openai.chat.completions.create(ask)
      assert.equal(res.choices[0]!.message.content, expected.choices[0]!.message.content, `gateway request ${i} reached the node that failed its audit`)
    }
    await waitFor(() => verdictsOf(honest.pubkey).length >= 2, 'a second audit of the honest node after 3 more of its jobs', 60_000)
    assert.equal(verdictsOf(honest.pubkey)[0]!.verdict, 'pass')
  })
})
