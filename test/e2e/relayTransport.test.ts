// End to end, relay transport (NAT'd nodes). Processes: our relay and two node agents that announce no stream
// URL (INFERNET_ANNOUNCE_STREAM=false) are SPAWNED; the third-party relay, fake backends and clients run in this
// process. Concurrent clients send jobs that travel only through the relays (encrypted request, signed chunk and
// result events): all complete with the right text, none is rejected because a relay over-delivers other jobs'
// events (the third-party relay ignores '#e' for ephemeral events), none runs twice, and the prompts never
// appear in plain text in either relay's storage although the job requests themselves are stored there.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { waitForLive } from '../helpers/client.ts'
import { defaultReply, model, newMarker, startTestNetwork, type TestNetwork } from '../helpers/network.ts'

describe('e2e: relay transport with concurrent clients', () => {
  let net: TestNetwork
  before(async () => {
    net = await startTestNetwork({
      coordinators: 0,
      env: { INFERNET_ANNOUNCE_STREAM: 'false' },
      nodes: [
        { name: 'natted-1', ttftMs: 20, tokensPerSecond: 200 },
        { name: 'natted-2', backend: 'vllm', ttftMs: 10, tokensPerSecond: 300 },
      ],
    })
  })
  after(() => net?.close())

  it('every job completes through the relays, verified, once, with no prompt stored in plain text', async () => {
    const clients = Array.from({ length: 6 }, (_, i) => net.client({ name: `e2e-relay-${i}`, firstTokenTimeoutMs: 10_000, acceptTimeoutMs: 5000 }))
    await Promise.all(clients.map((c) => waitForLive(c, net.nodes.map((n) => n.pubkey), { model, timeoutMs: 10_000 })))
    const markers: string[] = []
    await Promise.all(
      clients.map(async (client, i) => {
        for (let j = 0; j < 3; j++) {
          const marker = newMarker()
          markers.push(marker)
          const r = await client.complete({ model, messages: [{ role: 'user', content: `relay job ${i}/${j} ${marker}` }], routing: { pin: net.nodes[(i + j) % 2]!.pubkey } })
          assert.equal(r.text, defaultReply)
          assert.deepEqual(r.jobs.map((x) => [x.outcome, x.transport]), [['ok', 'relay']])
        }
      }),
    )
    for (const c of clients) assert.equal(c.badNodes.size, 0, 'no honest node excluded')
    await new Promise((r) => setTimeout(r, 500))
    for (const m of markers) assert.equal(net.backendCalls(m), 1, `job ${m} ran once`)
    const storage = net.relayStorage()
    // The job requests (the only events the clients author here) are stored by the relays, encrypted.
    for (const c of clients) assert.ok(storage.includes(Buffer.from(c.signer.pubkey)), 'the relays stored the job requests')
    for (const m of markers) assert.equal(storage.includes(Buffer.from(m)), false, `relay storage holds prompt marker ${m}`)
    assert.equal(storage.includes(Buffer.from(defaultReply)), false, 'relay storage holds the output in plain text')
  })
})
