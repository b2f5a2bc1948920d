// The node commands as a user runs them: `infernet setup --yes` against a fake Ollama publishes a capability that
// parses; `infernet start --json` prints its ready line; `status --json` asks the daemon; `stop` ends it.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { PassThrough } from 'node:stream'
import { after, before, describe, it, test } from 'node:test'
import WebSocket from 'ws'
import { createRelayPool, type WebSocketConstructor } from '../../src/net/relayPool.ts'
import { parseCapability } from '../../src/protocol/capability.ts'
import * as kinds from '../../src/protocol/kinds.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import type { FakeBackendServer } from '../helpers/fakeBackends/pacer.ts'
import { runSetup } from '../../node/commands/setupHandler.ts'
import { spawnNodeProcess } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'
import { testSigner } from '../helpers/keys.ts'
import { connectWs, jobEvent } from './directClient.ts'

const run = promisify(execFile)
const bin = new URL('../../bin/infernet.js', import.meta.url).pathname

describe('node CLI', () => {
  let relay: TestRelay
  let fake: FakeBackendServer
  let home: string

  before(async () => {
    relay = await startRelay()
    fake = await startFakeOllama({ models: ['llama3'] })
    home = mkdtempSync(join(tmpdir(), 'infernet-cli-'))
  })
  after(async () => {
    await fake.close()
    await relay.close()
    rmSync(home, { recursive: true, force: true })
  })

  it('setup --yes writes the config and publishes a capability; re-running keeps the key', async () => {
    const args = [bin, 'setup', '--yes', '--json', '--home', home, '--relay', relay.url, '--backend', 'ollama', '--backend-url', fake.url, '--price', '10,20']
    const { stdout } = await run(process.execPath, args, { env: { ...process.env, INFERNET_LOG_LEVEL: 'warn' } })
    const summary = JSON.parse(stdout.trim()) as { pubkey: string; capability: { id: string } | null; models: string[] }
    assert.deepEqual(summary.models, ['llama3'])
    assert.ok(summary.capability)
    const config = JSON.parse(readFileSync(join(home, 'node.json'), 'utf8'))
    assert.equal(config.priceIn, '10')
    assert.equal(config.backendUrl, fake.url)
    const pool = createRelayPool({ urls: [relay.url], WebSocket: WebSocket as unknown as WebSocketConstructor })
    try {
      await pool.ready()
      const [cap] = await pool.query([{ kinds: [kinds.Capability], authors: [summary.pubkey] }])
      const parsed = parseCapability(cap)
      assert.ok(parsed.ok, JSON.stringify(parsed))
      assert.deepEqual(parsed.data.price, { input: '10', output: '20' })
      assert.deepEqual(parsed.data.models.map((m) => m.id), ['llama3'])
      assert.equal(parsed.data.backend, 'ollama')
    } finally {
      pool.close()
    }
    const again = await run(process.execPath, [...args.slice(0, -2), '--price', '0,0'], { env: { ...process.env, INFERNET_LOG_LEVEL: 'warn' } })
    assert.equal(JSON.parse(again.stdout.trim()).pubkey, summary.pubkey)
    assert.equal(JSON.parse(readFileSync(join(home, 'node.json'), 'utf8')).priceOut, '0')
  })

  it('setup pulls a model that fits the GPU when the backend has none, with a progress bar on stderr', async () => {
    const empty = await startFakeOllama({ models: [] })
    const home3 = mkdtempSync(join(tmpdir(), 'infernet-cli-pull-'))
    let err = ''
    const stderr = { write: (chunk: string) => ((err += chunk), true) } as unknown as NodeJS.WritableStream
    try {
      await runSetup(
        { yes: true, json: false, home: home3, relay: [relay.url], backend: 'ollama', backendUrl: empty.url },
        { gpu: { detect: async () => [{ vendor: 'nvidia', name: 'NVIDIA H200', vramMiB: 143771, driver: '550.54' }] }, stderr, stdout: () => {} },
      )
      assert.match(err, /GPU: NVIDIA H200, 143771 MiB VRAM, driver 550.54/)
      assert.match(err, /\[#+\] 100%/)
      const config = JSON.parse(readFileSync(join(home3, 'node.json'), 'utf8'))
      assert.deepEqual(config.models, ['llama3.3:70b'])
      assert.match(err, /Published capability/)
    } finally {
      await empty.close()
      rmSync(home3, { recursive: true, force: true })
    }
  })

  it('start --daemon detaches; logs prints its log; stop ends it', async () => {
    const home2 = mkdtempSync(join(tmpdir(), 'infernet-cli-daemon-'))
    try {
      const env = { ...process.env, INFERNET_LOG_LEVEL: 'info' }
      const started = await run(process.execPath, [bin, 'start', '--daemon', '--json', '--home', home2, '--relay', relay.url, '--backend', 'ollama', '--backend-url', fake.url, '--port', '0'], { env })
      const ready = JSON.parse(started.stdout.trim()) as { ready: boolean; url: string; pid: number }
      assert.equal(ready.ready, true)
      const health = await fetch(new URL('/healthz', ready.url))
      assert.equal(health.status, 200)
      const logs = await run(process.execPath, [bin, 'logs', '--home', home2])
      assert.match(logs.stdout, /node started/)
      await run(process.execPath, [bin, 'stop', '--home', home2])
      assert.throws(() => process.kill(ready.pid, 0))
      await assert.rejects(run(process.execPath, [bin, 'status', '--home', home2]), /No node is running/)
    } finally {
      rmSync(home2, { recursive: true, force: true })
    }
  })

  it('start --json serves jobs; status --json reports it; stop ends it', async () => {
    const node = await spawnNodeProcess({ relays: [relay.url], backendUrl: fake.url, backendKind: 'ollama', home })
    try {
      const client = testSigner('cli-client')
      const ws = await connectWs(node.streamUrl, client)
      const job = await jobEvent(client, node.pubkey, { bid: { input: '0', output: '0' } })
      await ws.submit(job)
      assert.equal((await ws.end(job.id)).type, 'result')
      await ws.close()
      const status = await run(process.execPath, [bin, 'status', '--json', '--home', home])
      const s = JSON.parse(status.stdout) as { pubkey: string; jobs: { done: number }; slots: { total: number } }
      assert.equal(s.pubkey, node.pubkey)
      assert.equal(s.jobs.done, 1)
      const stop = await run(process.execPath, [bin, 'stop', '--home', home])
      assert.match(stop.stdout, /Stopped node/)
      assert.ok(node.child.exitCode === 0 || node.child.signalCode !== null || (await new Promise((r) => node.child.once('exit', r)), true))
      assert.equal(existsSync(join(home, 'node', 'node.pid')), false)
    } finally {
      await node.stop()
    }
  })
})

test('interactive setup checks each answer as it is typed and asks again, naming the field', async (t) => {
  const relay = await startRelay()
  t.after(() => relay.close())
  const home = mkdtempSync(join(tmpdir(), 'infernet-cli-ask-'))
  t.after(() => rmSync(home, { recursive: true, force: true }))
  const input = new PassThrough()
  // Answered in turn, each when its question appears: a bad backend, the models (all), a bad price, a bad relay list.
  const answers = ['olama', 'demo', '', 'ten', '5', '7', 'http://not-a-relay', relay.url]
  const asked: string[] = []
  let err = ''
  const stderr = {
    write: (chunk: string) => {
      err += chunk
      if (/\]: $/.test(chunk)) {
        asked.push(chunk)
        input.write(`${answers.shift() ?? ''}\n`)
      }
      return true
    },
  } as unknown as NodeJS.WritableStream
  await runSetup({ json: false, home, relay: [relay.url] }, { gpu: { detect: async () => [] }, input, stderr, stdout: () => {} })
  assert.equal(answers.length, 0, 'every answer was used')
  assert.match(err, /backend: expected one of ollama, vllm, sglang, max, llamacpp, demo, got "olama"; try again\./)
  assert.match(err, /input price: expected a whole number of base units .*; try again\./)
  assert.match(err, /relays: "http:\/\/not-a-relay" is not a ws:\/\/ or wss:\/\/ relay URL; try again\./)
  assert.equal(asked.filter((q) => q.startsWith('Backend (')).length, 2, 'the backend was asked again')
  assert.ok(!asked.some((q) => q.startsWith('Backend URL')), 'the demo backend has no URL to ask for')
  const config = JSON.parse(readFileSync(join(home, 'node.json'), 'utf8'))
  assert.deepEqual([config.backend, config.priceIn, config.priceOut, config.relays], ['demo', '5', '7', [relay.url]])
})
