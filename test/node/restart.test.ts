// A node SIGKILLed mid-job: once restarted on the same home it publishes the terminal `error` status the killed
// process never sent, for that job only (its dedupe store knew the job was in flight).
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import WebSocket from 'ws'
import { createRelayPool, type RelayPool, type WebSocketConstructor } from '../../src/net/relayPool.ts'
import type { NostrEvent } from '../../src/protocol/event.ts'
import { parseJobStatus } from '../../src/protocol/jobStatus.ts'
import * as kinds from '../../src/protocol/kinds.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import type { FakeBackendServer } from '../helpers/fakeBackends/pacer.ts'
import { testSigner } from '../helpers/keys.ts'
import { waitFor } from '../helpers/network.ts'
import { spawnNodeProcess, type SpawnedNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'
import { connectWs, jobEvent } from './directClient.ts'

describe('node restart after SIGKILL', () => {
  let relay: TestRelay
  let fake: FakeBackendServer
  let pool: RelayPool
  let home: string
  const running: SpawnedNode[] = []
  const client = testSigner('restart-status-client')
  const statuses: NostrEvent[] = []
  const waiters = new Set<() => void>()

  before(async () => {
    relay = await startRelay()
    fake = await startFakeOllama({ models: ['llama3'], tokensPerSecond: 2000 })
    home = mkdtempSync(join(tmpdir(), 'infernet-killed-'))
    pool = createRelayPool({ urls: [relay.url], WebSocket: WebSocket as unknown as WebSocketConstructor })
    await pool.ready()
    pool.subscribe([{ kinds: [kinds.JobStatus], '#p': [client.pubkey] }], {
      onEvent: (e) => {
        statuses.push(e)
        for (const w of waiters) w()
      },
    })
  })
  after(async () => {
    for (const n of running) await n.stop().catch(() => undefined)
    pool.close()
    await fake.close()
    await relay.close()
    rmSync(home, { recursive: true, force: true })
  })

  const statusOf = (job: string, name: string) => statuses.map((e) => parseJobStatus(e)).find((s) => s.ok && s.data.job === job && s.data.status === name)
  /** Resolves on the status event; the time limit only turns a status that never comes into a failure. */
  const waitStatus = (job: string, name: string, timeoutMs = 20_000) =>
    new Promise<NonNullable<ReturnType<typeof statusOf>>>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(new Error(`no ${name} status for job ${job.slice(0, 12)} within ${timeoutMs} ms`))
      }, timeoutMs)
      const check = () => {
        const s = statusOf(job, name)
        if (s) {
          waiters.delete(check)
          clearTimeout(timer)
          resolve(s)
        }
      }
      waiters.add(check)
      check()
    })

  it('publishes an error status for the job that was running when it was killed', async () => {
    const start = async () => {
      const n = await spawnNodeProcess({ relays: [relay.url], backendUrl: fake.url, backendKind: 'ollama', home })
      running.push(n)
      return n
    }
    const first = await start()
    const ws = await connectWs(first.streamUrl, client)
    // One job that ends normally, then one that hangs in the backend when the node is killed.
    const done = await jobEvent(client, first.pubkey)
    await ws.submit(done)
    assert.equal((await ws.end(done.id)).type, 'result')
    fake.setFaults({ hang: true })
    const cut = await jobEvent(client, first.pubkey)
    await ws.submit(cut)
    // Running: accepted at queue position 0, and the backend has the request (a direct job publishes no processing).
    const chatsBefore = fake.stats.chats
    await ws.waitFor((f) => f.type === 'accepted' && f.job === cut.id && f.queuePosition === 0)
    await waitFor(() => fake.stats.chats > chatsBefore, 'the backend got the job')
    await first.stop('SIGKILL')
    await ws.close()
    fake.setFaults({})
    assert.equal(statusOf(cut.id, 'error'), undefined, 'the killed node said nothing more')

    const second = await start()
    const error = await waitStatus(cut.id, 'error')
    assert.ok(error.ok)
    assert.equal(error.data.code, 'internal')
    assert.match(error.data.message ?? '', /stopped during the job/)
    assert.equal(error.data.node, second.pubkey)
    // The job that had ended gets nothing more, and the cut one is not reported twice after another restart.
    await second.stop()
    const third = await start()
    const ws3 = await connectWs(third.streamUrl, client)
    const later = await jobEvent(client, third.pubkey)
    await ws3.submit(later)
    assert.equal((await ws3.end(later.id)).type, 'result')
    await ws3.close()
    assert.equal(statuses.filter((e) => e.tags.some((t) => t[1] === done.id) && e.tags.some((t) => t[0] === 'status' && t[1] === 'error')).length, 0)
    assert.equal(statuses.filter((e) => e.tags.some((t) => t[1] === cut.id) && e.tags.some((t) => t[0] === 'status' && t[1] === 'error')).length, 1)
  })
})
