// What a node sees of an audit (nips/audit-verdict.md, "How an audit runs"): each audit job comes from a key made
// for it, not the auditor's (or, through a client that carries ordinary jobs, from that client's key), and is the same job event (kind, tag names) and the same engine request as an ordinary
// client's job with the same messages and parameters. Recorded where the node receives them: the frames on its
// direct channel and the requests reaching its engine (the fake Ollama). And a node that fails an audit job is still
// named in the verdict, with the job it failed, scored a complete mismatch.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import WebSocket from 'ws'
import { runAudit, type AuditRunner } from '../../client/audit/runAudit.ts'
import { clientRunner, nodeRunner } from '../../client/audit/runners.ts'
import type { WebSocketConstructor } from '../../src/net/relayPool.ts'
import type { NostrEvent } from '../../src/protocol/event.ts'
import { createTestClient } from '../helpers/client.ts'
import { startFakeOllama, type FakeOllamaServer } from '../helpers/fakeBackends/ollama.ts'
import { waitFor } from '../helpers/network.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'
import { testSigner } from '../helpers/keys.ts'

/** A ws WebSocket that keeps every kind-3830 event it sends: the job events exactly as the node receives them. */
function recordingWebSocket(sent: NostrEvent[]): WebSocketConstructor {
  class Recording extends WebSocket {
    override send(data: unknown, ...rest: unknown[]): void {
      try {
        const frame = JSON.parse(String(data)) as unknown
        const found = findJobEvent(frame)
        if (found) sent.push(found)
      } catch {
        // not JSON: nothing to record
      }
      ;(super.send as (...a: unknown[]) => void)(data, ...rest)
    }
  }
  return Recording as unknown as WebSocketConstructor
}

function findJobEvent(x: unknown): NostrEvent | undefined {
  if (Array.isArray(x)) return x.map(findJobEvent).find(Boolean)
  if (typeof x !== 'object' || x === null) return undefined
  const o = x as Record<string, unknown>
  if (o.kind === 3830 && typeof o.pubkey === 'string' && Array.isArray(o.tags)) return o as unknown as NostrEvent
  return Object.values(o).map(findJobEvent).find(Boolean)
}

const chatBodies = (fake: FakeOllamaServer) => fake.received.filter((r) => r.path === '/api/chat').map((r) => r.body as Record<string, unknown>)

describe('audit jobs look like ordinary jobs to the node', () => {
  let relay: TestRelay
  let fake: FakeOllamaServer
  let failing: FakeOllamaServer
  let node: TestNode
  let broken: TestNode
  const auditor = testSigner('auditor')

  before(async () => {
    relay = await startRelay()
    fake = await startFakeOllama({ models: ['tiny-a'] })
    failing = await startFakeOllama({ models: ['tiny-a'], faults: { midStreamErrorAfter: 0 } })
    node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url } })
    broken = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: failing.url } })
    const watcher = createTestClient({ relays: [relay.url], name: 'watcher' })
    await waitFor(async () => (await watcher.nodes({ model: 'tiny-a' })).filter((n) => n.live).length === 2, 'both nodes live')
    await watcher.close()
  })
  after(async () => {
    await node?.stop()
    await broken?.stop()
    await fake?.close()
    await failing?.close()
    await relay?.close()
  })

  it('fresh keys, the same event shape and the same engine request as a client asking for greedy output', async () => {
    const sent: NostrEvent[] = []
    const ws = recordingWebSocket(sent)
    const messages = [{ role: 'user' as const, content: 'Name three colours.' }]
    const reference: AuditRunner = async (job) => {
      const c = createTestClient({ relays: [relay.url], name: 'reference-side', routing: { pin: node.pubkey } })
      try {
        return { text: (await c.complete(job)).text }
      } finally {
        await c.close()
      }
    }
    const before = chatBodies(fake).length
    const audit = await runAudit({
      node: node.pubkey, model: 'tiny-a', digest: undefined, jobs: [{ messages }, { messages }], maxTokens: 16, seed: 5,
      onNode: nodeRunner({ relays: [relay.url], node: node.pubkey, WebSocket: ws }), onReference: reference, reference: { kind: 'node', pubkey: node.pubkey },
    })
    assert.equal(audit.verdict.score, 0, 'the same engine answers both sides')
    const auditEvents = sent.splice(0)
    assert.equal(auditEvents.length, 2, 'one job event per audit job reached the node')
    assert.deepEqual(auditEvents.map((e) => e.id).sort(), [...audit.verdict.jobs].sort(), 'the verdict names the jobs the node ran')
    assert.equal(new Set(auditEvents.map((e) => e.pubkey)).size, 2, 'each audit job has its own key')
    assert.ok(auditEvents.every((e) => e.pubkey !== auditor.pubkey))

    // An ordinary client's job with the audit's messages and parameters (seed 5, the first audit job's).
    const client = createTestClient({ relays: [relay.url], name: 'ordinary', WebSocket: ws, routing: { pin: node.pubkey } })
    try {
      await client.complete({ model: 'tiny-a', messages, params: { temperature: 0, seed: 5, max_tokens: 16 } })
    } finally {
      await client.close()
    }
    const [ordinary] = sent
    assert.ok(ordinary)
    const shape = (e: NostrEvent) => ({ kind: e.kind, tags: e.tags.map((t) => t[0]).sort(), contentIsCiphertext: !e.content.trimStart().startsWith('{') })
    for (const e of auditEvents) assert.deepEqual(shape(e), shape(ordinary), 'the same kind, tag names and encrypted content')

    // The engine requests of audit job 1 (reference and node side), audit job 2 (both sides) and the ordinary job.
    const bodies = chatBodies(fake).slice(before)
    assert.equal(bodies.length, 5)
    const firstAudit = bodies[1]!
    assert.deepEqual(bodies[4], firstAudit, 'the engine cannot tell the ordinary job from the audit job')
  })

  it("through a client's own key (the coordinator's gateway): the audit job is one more job of that key, alike", async () => {
    const sent: NostrEvent[] = []
    const client = createTestClient({ relays: [relay.url], name: 'gateway-like', WebSocket: recordingWebSocket(sent) })
    try {
      const messages = [{ role: 'user' as const, content: 'Name four seasons.' }]
      const before = chatBodies(fake).length
      const first = await client.complete({ model: 'tiny-a', messages, params: { temperature: 0, seed: 9, max_tokens: 16 }, routing: { pin: node.pubkey } })
      const audit = await runAudit({
        node: node.pubkey, model: 'tiny-a', digest: undefined, jobs: [{ messages }], maxTokens: 16, seed: 9,
        onNode: clientRunner({ client, node: node.pubkey }), onReference: async () => ({ text: first.text }), reference: { kind: 'node', pubkey: node.pubkey },
      })
      assert.equal(sent.length, 2)
      const [ordinary, audited] = sent as [NostrEvent, NostrEvent]
      assert.deepEqual(audit.verdict.jobs, [audited.id])
      assert.equal(audited.pubkey, ordinary.pubkey, 'the same key as the ordinary job')
      assert.equal(audited.pubkey, client.signer.pubkey)
      assert.deepEqual(audited.tags.map((t) => t[0]), ordinary.tags.map((t) => t[0]))
      const bodies = chatBodies(fake).slice(before)
      assert.deepEqual(bodies[1], bodies[0], 'the engine cannot tell the audit job from the ordinary one')
    } finally {
      await client.close()
    }
  })

  it('a node that fails its audit job is named in the verdict with that job, scored 1', async () => {
    const reference: AuditRunner = async () => ({ text: 'whatever the reference says' })
    const audit = await runAudit({
      node: broken.pubkey, model: 'tiny-a', digest: undefined, jobs: [{ messages: [{ role: 'user', content: 'hello' }] }], maxTokens: 8, seed: 1,
      onNode: nodeRunner({ relays: [relay.url], node: broken.pubkey, WebSocket: WebSocket as unknown as WebSocketConstructor }), onReference: reference, reference: { kind: 'node', pubkey: node.pubkey },
    })
    assert.equal(audit.verdict.jobs.length, 1)
    assert.match(audit.verdict.jobs[0]!, /^[0-9a-f]{64}$/)
    assert.equal(audit.verdict.score, 1)
  })
})
