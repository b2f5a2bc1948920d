// Audits on the real engine (nips/audit-verdict.md): four nodes announce tiny-a with tiny-a's digest. One serves
// it; one serves tiny-b's weights under that digest (a substituted model); one serves tiny-a but samples at
// temperature 1 whatever the job asks (a changed temperature); one serves an 8-bit copy of tiny-a made by the
// engine's own llama-quantize (its greedy text mostly the original's, its logprobs not). The auditor's reference is
// its own llama-server on tiny-a. With fixed seeds: the honest node's verdict passes under both methods, the first
// two cheaters fail greedy-prefix and the quantized copy fails greedy-logprob, and the signed verdicts reach a
// coordinator through the relay, which shows them per node.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { execFile } from 'node:child_process'
import { npubEncode } from 'nostr-tools/nip19'
import OpenAI from 'openai'
import WebSocket from 'ws'
import { runAudit } from '../../client/audit/runAudit.ts'
import { engineRunner, nodeRunner } from '../../client/audit/runners.ts'
import { createBackend } from '../../node/backends/index.ts'
import { createLlamacppBackend } from '../../node/backends/llamacpp.ts'
import type { Backend } from '../../node/backends/types.ts'
import type { WebSocketConstructor } from '../../src/net/relayPool.ts'
import type { AuditMethod } from '../../src/protocol/auditMethod.ts'
import { buildAuditVerdict, parseAuditVerdict } from '../../src/protocol/auditVerdict.ts'
import { createLocalSigner } from '../../src/signer.ts'
import { generateSecretKey } from 'nostr-tools/pure'
import { createTestClient } from '../helpers/client.ts'
import { startCoordinator, type TestCoordinator } from '../helpers/coordinator.ts'
import { engine, engineMissingHint, startLlamaServer, tempModelDir, type LlamaServer } from '../helpers/engine/llamaServer.ts'
import { quantizeModel } from '../helpers/engine/quantize.ts'
import { tinyModels, writeTinyModel } from '../helpers/engine/tinyModel.ts'
import { waitFor } from '../helpers/network.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { connect } from '../helpers/nostrClient.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const skip = engine() ? false : engineMissingHint
const bin = new URL('../../bin/infernet.js', import.meta.url).pathname
const sha256 = (path: string) => `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`
const prompts = ['Name three colours.', 'What is two plus two?', 'Write a short greeting.'].map((content) => ({ messages: [{ role: 'user' as const, content }] }))

/** tiny-a's digest whatever file the engine loaded: what a lying node announces. */
function claimingDigest(baseUrl: string, digest: string): Backend {
  return createLlamacppBackend({ baseUrl, fileDigest: async () => digest })
}

/** Samples at temperature 1 with its own seed whatever the job asks: the job's parameters are not what runs. */
function hotBackend(baseUrl: string): Backend {
  const inner = createBackend({ kind: 'llamacpp', baseUrl })
  return Object.assign(Object.create(inner) as Backend, {
    chat: (request: Parameters<Backend['chat']>[0], options?: Parameters<Backend['chat']>[1]) => inner.chat({ ...request, params: { ...request.params, temperature: 1, seed: 12345 } }, options),
  })
}

/** Serves the real output but bills 1.5 times its completion tokens (within what the SDK's byte bounds allow). */
function inflatingBackend(baseUrl: string): Backend {
  const inner = createBackend({ kind: 'llamacpp', baseUrl })
  return Object.assign(Object.create(inner) as Backend, {
    async *chat(request: Parameters<Backend['chat']>[0], options?: Parameters<Backend['chat']>[1]) {
      for await (const chunk of inner.chat(request, options)) {
        yield chunk.type === 'done' ? { ...chunk, usage: { ...chunk.usage, completionTokens: Math.ceil(chunk.usage.completionTokens * 1.5) } } : chunk
      }
    },
  })
}

describe('real engine: audits catch a substituted model, a changed temperature and a quantized copy', { skip }, () => {
  const dir = tempModelDir()
  let relay: TestRelay
  let engines: LlamaServer[] = []
  let nodes: TestNode[] = []
  let coord: TestCoordinator
  let digestA = ''
  const auditor = createLocalSigner(generateSecretKey())

  before(async () => {
    const a = writeTinyModel(join(dir.path, 'tiny-a.gguf'), tinyModels.a)
    const b = writeTinyModel(join(dir.path, 'tiny-b.gguf'), tinyModels.b)
    const a8 = await quantizeModel(a, join(dir.path, 'tiny-a-q8_0.gguf'), 'Q8_0')
    digestA = sha256(a)
    relay = await startRelay()
    // honest, substituted, hot, 8-bit, and the auditor's reference.
    engines = await Promise.all([a, b, a, a8, a].map((model) => startLlamaServer({ model, alias: 'tiny-a', parallel: 1 })))
    const [honest, substituted, hot, quantized] = engines as [LlamaServer, LlamaServer, LlamaServer, LlamaServer]
    nodes = await Promise.all([
      startNode({ relays: [relay.url], backend: { kind: 'llamacpp', baseUrl: honest.url }, config: { name: 'honest' } }),
      startNode({ relays: [relay.url], backend: claimingDigest(substituted.url, digestA), config: { name: 'substituted' } }),
      startNode({ relays: [relay.url], backend: hotBackend(hot.url), config: { name: 'hot' } }),
      startNode({ relays: [relay.url], backend: claimingDigest(quantized.url, digestA), config: { name: '8-bit' } }),
    ])
    coord = await startCoordinator({ relays: [relay.url], config: { trustedAuditors: [auditor.pubkey] } })
    await waitFor(() => coord.coordinator.market.models(Math.floor(Date.now() / 1000)).find((m) => m.id === 'tiny-a')?.nodes === 4, 'four nodes announce tiny-a')
  })
  after(async () => {
    await coord?.close()
    await Promise.all(nodes.map((n) => n.stop()))
    await Promise.all(engines.map((e) => e.stop()))
    await relay?.close()
    dir.remove()
  })

  it('honest passes, substituted, hot and the 8-bit copy fail; the verdicts are signed, published and indexed', async (t) => {
    const reference = engineRunner({ url: engines[4]!.url })
    const publisher = await connect(relay.url)
    const audit = async (node: TestNode, method: AuditMethod) => {
      const { verdict, jobs } = await runAudit({
        node: node.pubkey,
        model: 'tiny-a',
        digest: digestA,
        jobs: prompts,
        maxTokens: 24,
        seed: 42,
        method,
        onNode: nodeRunner({ relays: [relay.url], node: node.pubkey, WebSocket: WebSocket as unknown as WebSocketConstructor }),
        onReference: reference,
        reference: { kind: 'engine', digest: digestA },
      })
      assert.equal(jobs.length, 3)
      const event = await buildAuditVerdict(auditor, verdict)
      const parsed = parseAuditVerdict(event)
      assert.ok(parsed.ok)
      assert.equal(parsed.data.method, method)
      return { event, outcome: { pass: parsed.data.pass, score: parsed.data.score } }
    }
    const outcomes: Record<string, { pass: boolean; score: number }> = {}
    const plan: [string, AuditMethod][] = [['honest', 'greedy-prefix'], ['substituted', 'greedy-prefix'], ['hot', 'greedy-prefix'], ['8-bit', 'greedy-logprob']]
    for (const [i, [name, method]] of plan.entries()) {
      const { event, outcome } = await audit(nodes[i]!, method)
      outcomes[name] = outcome
      assert.equal((await publisher.publish(event)).ok, true)
    }
    await publisher.close()
    // Not published (one verdict per node keeps the index check below simple): the honest node under greedy-logprob.
    const honestLogprob = (await audit(nodes[0]!, 'greedy-logprob')).outcome
    t.diagnostic(`scores: ${JSON.stringify({ ...outcomes, 'honest (greedy-logprob)': honestLogprob })}`)
    assert.deepEqual(outcomes.honest, { pass: true, score: 0 }, 'greedy decoding on the same weights repeats exactly')
    // The same weights give the same logprobs but for float noise (a gap of 2.4e-7 nats scores 3e-6).
    assert.ok(honestLogprob.pass && honestLogprob.score < 1e-3, `the same weights give the same logprobs: score ${honestLogprob.score}`)
    assert.equal(outcomes.substituted!.pass, false, `substituted weights: score ${outcomes.substituted!.score}`)
    assert.equal(outcomes.hot!.pass, false, `temperature 1: score ${outcomes.hot!.score}`)
    assert.equal(outcomes['8-bit']!.pass, false, `8-bit copy: score ${outcomes['8-bit']!.score}`)

    const verdicts = await waitFor(() => {
      const all = nodes.map((n) => coord.coordinator.market.auditsFor(n.pubkey))
      return all.every((list) => list.length === 1) && all
    }, 'the coordinator indexed the four verdicts')
    assert.deepEqual(verdicts.map((list) => list[0]!.verdict), ['pass', 'fail', 'fail', 'fail'])

    // Routed around, by the coordinator's gateway and by an SDK that trusts the auditor alike: every greedy answer is
    // the honest weights' (the cheaters' differ from the first tokens, as their scores say).
    const ask = { model: 'tiny-a', messages: [{ role: 'user' as const, content: 'Which node answers?' }], params: { temperature: 0, max_tokens: 12, seed: 1 } }
    const expected = (await reference({ ...ask })).text
    const openai = new OpenAI({ apiKey: 'unused', baseURL: `${coord.url}/v1`, maxRetries: 0 })
    for (let i = 0; i < 6; i++) {
      const res = await openai.chat.completions.create({ model: 'tiny-a', messages: ask.messages, temperature: 0, max_tokens: 12, seed: 1 })
      assert.equal(res.choices[0]!.message.content, expected, `gateway request ${i} reached a node that failed its audit`)
    }
    const client = createTestClient({ relays: [relay.url], name: 'trusts-the-auditor', trustedAuditors: [auditor.pubkey] })
    try {
      await waitFor(async () => (await client.nodes({ model: 'tiny-a' })).filter((n) => n.auditFailed?.has('tiny-a')).length === 3, 'the SDK read the three failing verdicts')
      for (let i = 0; i < 6; i++) assert.equal((await client.complete(ask)).node, nodes[0]!.pubkey, `SDK job ${i} went to a node that failed its audit`)
    } finally {
      await client.close()
    }
  })

  it('a node that bills more tokens than it produced fails: the reference engine counts the same output', async () => {
    const inflating = await startNode({ relays: [relay.url], backend: inflatingBackend(engines[0]!.url), config: { name: 'inflating' } })
    try {
      await waitFor(() => coord.coordinator.market.nodes.has(inflating.pubkey), 'the inflating node announced')
      const { verdict, jobs } = await runAudit({
        node: inflating.pubkey, model: 'tiny-a', digest: digestA, jobs: prompts.slice(0, 1), maxTokens: 24, seed: 42, method: 'greedy-logprob',
        onNode: nodeRunner({ relays: [relay.url], node: inflating.pubkey, WebSocket: WebSocket as unknown as WebSocketConstructor }),
        onReference: engineRunner({ url: engines[4]!.url }),
        reference: { kind: 'engine', digest: digestA },
      })
      assert.equal(verdict.score, 1)
      assert.deepEqual(jobs[0]!.overclaimed, { claimed: 36, counted: 24 })
    } finally {
      await inflating.stop()
    }
  })

  it('infernet audit, as a user runs it: the substituted node fails, the honest one passes (greedy-logprob: llama.cpp announces logprobs); bad flags are one line', async () => {
    const home = tempModelDir()
    try {
      const cli = (args: string[]) =>
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
          execFile(process.execPath, [bin, 'audit', ...args, '--relay', relay.url], { env: { ...process.env, INFERNET_HOME: home.path, INFERNET_LOG_LEVEL: 'warn' }, timeout: 60_000 }, (err, stdout, stderr) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
          ),
        )
      const common = ['--model', 'tiny-a', '--reference-url', engines[4]!.url, '--seed', '7', '--jobs', '2', '--max-tokens', '16']
      const [honest, substituted] = await Promise.all([cli(['--node', npubEncode(nodes[0]!.pubkey), ...common, '--json']), cli(['--node', nodes[1]!.pubkey, ...common])])
      assert.equal(honest.code, 0, honest.stderr)
      const out = JSON.parse(honest.stdout.trim().split('\n').at(-1)!) as { verdict: string; method: string; score: number; jobs: unknown[]; event: { kind: number } }
      assert.deepEqual([out.verdict, out.method, out.jobs.length, out.event.kind], ['pass', 'greedy-logprob', 2, 3835])
      assert.ok(out.score < 1e-3, `honest score ${out.score}: float noise at most`)
      assert.equal(substituted.code, 0, substituted.stderr)
      assert.match(substituted.stdout, /^FAIL: tiny-a on npub1\w+, greedy-logprob score [01]\.\d{4} \(threshold 0\.25, seed 7\); verdict [0-9a-f]{64} published$/m)
      const bad = await cli(['--node', nodes[0]!.pubkey, '--model', 'tiny-a', '--jobs', '2'])
      assert.notEqual(bad.code, 0)
      assert.match(bad.stderr, /give exactly one of --reference-url .* and --reference-node/)
      const badDigest = await cli(['--node', nodes[0]!.pubkey, '--model', 'tiny-a', '--reference-url', engines[4]!.url, '--digest', 'sha256:abc'])
      assert.notEqual(badDigest.code, 0)
      assert.match(badDigest.stderr, /--digest must be sha256:<64 lowercase hex>/)
    } finally {
      home.remove()
    }
  })
})
