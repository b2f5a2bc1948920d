// The SDK is isomorphic: the client, bundled for the browser (esbuild, platform "browser": a Node built-in on the
// main path fails the build), runs a whole job inside headless Chromium against a real relay and a real node
// daemon, with the browser's own WebSocket and Web Crypto. Chromium is Debian's package (scripts/ensureChromium.sh).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { build } from 'esbuild'
import { chromium } from 'playwright-core'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import { startNode } from '../helpers/node.ts'
import { startRelay } from '../helpers/relay.ts'

const executablePath = '/usr/bin/chromium'

function chromiumMissing(): string | undefined {
  if (existsSync(executablePath)) return undefined
  const r = spawnSync('bash', [new URL('../../scripts/ensureChromium.sh', import.meta.url).pathname], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 })
  return existsSync(executablePath) ? undefined : `chromium could not be installed: ${r.stderr?.toString().trim().split('\n').pop() ?? r.error?.message}`
}

test('the client bundles for the browser without Node built-ins', async () => {
  const result = await build({ entryPoints: [new URL('./browserEntry.ts', import.meta.url).pathname], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent' })
  assert.equal(result.errors.length, 0)
  assert.ok(result.outputFiles[0]!.contents.length > 10_000)
})

test('a chat runs end to end inside headless Chromium', { skip: chromiumMissing() }, async (t) => {
  const reply = 'Hello from a real node, streamed into a browser.'
  const backend = await startFakeOllama({ models: ['llama3'], reply })
  t.after(() => backend.close())
  const relay = await startRelay()
  t.after(() => relay.close())
  const node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: backend.url } })
  t.after(() => node.stop())

  const bundle = await build({ entryPoints: [new URL('./browserEntry.ts', import.meta.url).pathname], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent' })
  const js = bundle.outputFiles[0]!.text
  const server = createServer((req, res) => {
    if (req.url === '/infernet.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js)
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>infernet</title>')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.after(() => new Promise<void>((r) => server.close(() => r())))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  t.after(() => browser.close())
  const page = await browser.newPage()
  await page.goto(origin)
  const out = await page.evaluate(
    async ({ relayUrl }) => {
      const m = await import('/infernet.js' as string)
      const client = new m.InfernetClient({ relays: [relayUrl], signer: m.createLocalSigner(m.generateSecretKey()) })
      await client.ready({ timeoutMs: 10_000 })
      const stream = client.chat({ model: 'llama3', messages: [{ role: 'user', content: 'hi' }] })
      let streamed = ''
      for await (const delta of stream) streamed += delta.text
      const result = await stream.result
      await client.close()
      return { streamed, text: result.text, node: result.node, transport: result.jobs[0]?.transport, hasProcess: typeof (globalThis as { process?: unknown }).process !== 'undefined' }
    },
    { relayUrl: relay.url },
  )
  assert.equal(out.hasProcess, false, 'a real browser global scope')
  assert.equal(out.streamed, reply)
  assert.equal(out.text, reply)
  assert.equal(out.node, node.pubkey)
  assert.equal(out.transport, 'direct', 'the browser streamed straight from the node over its WebSocket')
})
