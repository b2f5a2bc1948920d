// The SDK is isomorphic: the client, bundled for the browser (esbuild, platform "browser": a Node built-in on the
// main path fails the build), runs a whole job inside headless Chromium against a real relay and a real node
// daemon, with the browser's own WebSocket and Web Crypto, once with a local signer and once with a NIP-07 provider
// (window.nostr) that keeps its key to itself. Chromium is Debian's package (scripts/ensureChromium.sh).
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { build } from 'esbuild'
import { chromium } from 'playwright-core'
import { chromiumArgs, chromiumExecutablePath, chromiumMissing } from '../helpers/chromium.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import { startNode } from '../helpers/node.ts'
import { startRelay } from '../helpers/relay.ts'

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

  const browser = await chromium.launch({ executablePath: chromiumExecutablePath, args: chromiumArgs })
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

  // The same page, now signing through a NIP-07 provider: a script of its own puts it on window.nostr, as an
  // extension would (plain JavaScript, so no compiled-TypeScript helper is needed in the page). The key lives in
  // the provider's closure; the SDK only ever calls getPublicKey, signEvent and nip44.encrypt/decrypt.
  await page.addScriptTag({
    type: 'module',
    content: `
      import * as m from '/infernet.js'
      const secretKey = m.generateSecretKey()
      const calls = { signEvent: 0, encrypt: 0, decrypt: 0 }
      const key = (peer) => m.nip44.utils.getConversationKey(secretKey, peer)
      window.nostrCalls = calls
      window.nostr = {
        getPublicKey: async () => m.getPublicKey(secretKey),
        signEvent: async (template) => (calls.signEvent++, m.finalizeEvent(template, secretKey)),
        nip44: {
          encrypt: async (peer, plaintext) => (calls.encrypt++, m.nip44.encrypt(plaintext, key(peer))),
          decrypt: async (peer, ciphertext) => (calls.decrypt++, m.nip44.decrypt(ciphertext, key(peer))),
        },
      }
    `,
  })
  await page.waitForFunction(() => 'nostr' in globalThis)
  const nip07 = await page.evaluate(
    async ({ relayUrl }) => {
      const m = await import('/infernet.js' as string)
      const g = globalThis as { nostr?: unknown; nostrCalls?: { signEvent: number; encrypt: number; decrypt: number } }
      const signer = await m.createNip07Signer(g.nostr)
      const client = new m.InfernetClient({ relays: [relayUrl], signer })
      await client.ready({ timeoutMs: 10_000 })
      const stream = client.chat({ model: 'llama3', messages: [{ role: 'user', content: 'hi' }] })
      let streamed = ''
      for await (const delta of stream) streamed += delta.text
      const result = await stream.result
      await client.close()
      return { streamed, text: result.text, node: result.node, transport: result.jobs[0]?.transport, calls: g.nostrCalls!, signerKeys: Object.keys(signer).sort() }
    },
    { relayUrl: relay.url },
  )
  assert.equal(nip07.streamed, reply)
  assert.equal(nip07.text, reply)
  assert.equal(nip07.node, node.pubkey)
  assert.equal(nip07.transport, 'direct')
  assert.deepEqual(nip07.signerKeys, ['nip44', 'pubkey', 'signEvent'], 'the signer holds no key and no conversation key')
  assert.ok(nip07.calls.encrypt >= 1 && nip07.calls.decrypt >= 1 && nip07.calls.signEvent >= 1, JSON.stringify(nip07.calls))
})
