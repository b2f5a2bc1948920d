// Both wires under httpRequest (undici's request by default, an injected fetch) give the same status, headers and
// body, and an abort mid-body closes the connection, so the engine stops generating.
import assert from 'node:assert/strict'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { fetchTransport, undiciTransport, type Transport, type TransportResponse } from '../../../node/backends/transport.ts'
import { waitFor } from '../../helpers/network.ts'

async function readAll(res: TransportResponse): Promise<string> {
  let out = ''
  const decoder = new TextDecoder()
  for (let r = await res.body!.next(); !r.done; r = await res.body!.next()) out += decoder.decode(r.value, { stream: true })
  return out + decoder.decode()
}

for (const [name, transport] of [['undici request', undiciTransport], ['injected fetch', fetchTransport(globalThis.fetch)]] as [string, Transport][]) {
  test(`${name}: status, headers, the body as sent, and the request body and method as given`, async (t) => {
    let seen = { method: '', body: '', type: '' }
    const server = createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        seen = { method: req.method ?? '', body, type: req.headers['content-type'] ?? '' }
        res.writeHead(503, { 'retry-after': '7', 'content-type': 'text/plain' })
        res.end('busy ünïcode')
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.after(() => server.close())
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`
    const res = await transport(url, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' }, signal: new AbortController().signal })
    assert.equal(res.status, 503)
    assert.equal(res.header('Retry-After'), '7')
    assert.equal(res.header('x-absent'), null)
    assert.equal(await readAll(res), 'busy ünïcode')
    assert.deepEqual(seen, { method: 'POST', body: '{"a":1}', type: 'application/json' })
  })

  test(`${name}: an abort mid-body ends the read and closes the connection`, async (t) => {
    let open: ServerResponse | undefined
    let closed = false
    const server = createServer((_req, res) => {
      open = res
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('data: first\n\n')
      res.on('close', () => (closed = true))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.after(() => {
      open?.destroy()
      server.close()
    })
    const controller = new AbortController()
    const res = await transport(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { method: 'GET', signal: controller.signal })
    const first = await res.body!.next()
    assert.equal(new TextDecoder().decode(first.value), 'data: first\n\n')
    const pending = res.body!.next()
    controller.abort(new Error('stop'))
    await assert.rejects(pending)
    await waitFor(() => closed, 'the server to see the connection close')
  })
}
