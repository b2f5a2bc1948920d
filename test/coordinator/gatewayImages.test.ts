// Remote images through the gateway (src/coordinator/gateway/remoteImages.ts): an http(s) image URL is fetched by the
// gateway and reaches the node inline (the node never fetches), redirects followed; too large, not an image, a dead
// link or a private address is a 400 naming the parameter; by default only public addresses are fetched.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { after, before, describe, it } from 'node:test'
import OpenAI from 'openai'
import { fetchImageAsDataUrl, isPublicAddress } from '../../src/coordinator/gateway/remoteImages.ts'
import { maxImageBytes } from '../../src/protocol/limits.ts'
import { startCoordinator, type TestCoordinator } from '../helpers/coordinator.ts'
import { startFakeOllama, type FakeOllamaServer } from '../helpers/fakeBackends/ollama.ts'
import { waitFor } from '../helpers/network.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

// A 1x1 PNG.
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')

async function startImageServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.url === '/cat.png') return res.writeHead(200, { 'content-type': 'image/png' }).end(png)
    if (req.url === '/moved') return res.writeHead(302, { location: '/cat.png' }).end()
    if (req.url === '/big.png') return res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(maxImageBytes + 1))
    if (req.url === '/page') return res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>')
    return res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => new Promise((r) => server.close(() => r())) }
}

describe('gateway: remote images', () => {
  let relay: TestRelay
  let ollama: FakeOllamaServer
  let node: TestNode
  let coord: TestCoordinator
  let images: { url: string; close(): Promise<void> }
  const openai = () => new OpenAI({ apiKey: 'unused', baseURL: `${coord.url}/v1`, maxRetries: 0 })
  const ask = (url: string) => ({ model: 'llava', messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'What is this?' }, { type: 'image_url' as const, image_url: { url } }] }] })

  before(async () => {
    images = await startImageServer()
    relay = await startRelay()
    ollama = await startFakeOllama({ models: ['llava'], capabilities: { llava: ['completion', 'vision'] } })
    node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: ollama.url } })
    // Loopback is a private address: this gateway is told to fetch from any network.
    coord = await startCoordinator({ relays: [relay.url], config: { gatewayRemoteImages: 'any' } })
    await waitFor(() => coord.coordinator.market.hasModel('llava', Math.floor(Date.now() / 1000)), 'the node in the market')
  })
  after(async () => {
    await coord?.close()
    await node?.stop()
    await ollama?.close()
    await relay?.close()
    await images?.close()
  })

  it('the gateway fetches the image (through a redirect) and the node receives it inline', async () => {
    for (const path of ['/cat.png', '/moved']) {
      const before = ollama.received.length
      const res = await openai().chat.completions.create(ask(`${images.url}${path}`))
      assert.ok(res.choices[0]!.message.content)
      const chat = ollama.received.slice(before).find((r) => r.path === '/api/chat')!.body as { messages: { images?: string[] }[] }
      assert.deepEqual(chat.messages.at(-1)!.images, [png.toString('base64')], `${path}: the image bytes reached the engine`)
    }
  })

  it('too large, not an image, a dead link: a 400 naming the parameter and the reason', async () => {
    const refused = async (url: string) => {
      const err = (await openai().chat.completions.create(ask(url)).catch((e: unknown) => e)) as { status?: number; param?: string; message?: string }
      assert.equal(err.status, 400, url)
      assert.equal(err.param, 'messages[0].content[1].image_url.url')
      return err.message ?? ''
    }
    assert.match(await refused(`${images.url}/big.png`), new RegExp(`over the limit of ${maxImageBytes}`))
    assert.match(await refused(`${images.url}/page`), /content type "text\/html" is not one of image\/png/)
    assert.match(await refused(`${images.url}/missing.png`), /answered 404/)
  })

  it('by default only public addresses: loopback, private and mapped addresses are refused before any connection', async () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '192.168.0.1', '169.254.169.254', '::1', 'fd00::1', '::ffff:127.0.0.1', '100.64.0.1']) assert.equal(isPublicAddress(a), false, a)
    for (const a of ['93.184.216.34', '2606:4700::1111', '8.8.8.8']) assert.equal(isPublicAddress(a), true, a)
    await assert.rejects(fetchImageAsDataUrl(`${images.url}/cat.png`, 'p'), /127\.0\.0\.1 is a private address/)
    // A name that resolves to loopback is refused at connect time.
    await assert.rejects(fetchImageAsDataUrl(`${images.url.replace('127.0.0.1', 'localhost')}/cat.png`, 'p'), /private address/)
    assert.equal(await fetchImageAsDataUrl(`${images.url}/cat.png`, 'p', { allowPrivate: true }), `data:image/png;base64,${png.toString('base64')}`)
  })
})
