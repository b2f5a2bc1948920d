// A TCP proxy on 127.0.0.1 (port picked by the OS) in front of a service, that a test can take down and bring back:
// down() drops every open connection and refuses new ones (reset at once), up() lets them through again. Used to make
// a chain RPC unreachable for a while without losing the chain's state. Call close() in `after`.
import { createConnection, createServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'

export type TcpProxy = {
  /** http://127.0.0.1:PORT, for a target given as an http URL. */
  url: string
  down(): void
  up(): void
  close(): Promise<void>
}

export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const { hostname, port } = new URL(target)
  const sockets = new Set<Socket>()
  let isDown = false
  const server = createServer((client) => {
    if (isDown) {
      client.resetAndDestroy()
      return
    }
    const upstream = createConnection({ host: hostname, port: Number(port) })
    sockets.add(client)
    sockets.add(upstream)
    const drop = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port: own } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${own}`,
    down() {
      isDown = true
      for (const s of sockets) s.destroy()
      sockets.clear()
    },
    up() {
      isDown = false
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
