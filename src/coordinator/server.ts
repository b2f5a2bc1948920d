// Serves a coordinator on Node (@hono/node-server). Refuses to expose an open gateway (no API keys) beyond loopback.
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { serve } from '@hono/node-server'
import { BaseError } from '../errors/base.ts'
import type { Coordinator } from './app.ts'

export class OpenGatewayExposedError extends BaseError {
  override name = 'OpenGatewayExposedError'
  override code = 'open-gateway-exposed'
  constructor(host: string) {
    super(`Refusing to serve on ${host} without API keys: anyone could spend the gateway's funds.`, {
      docsPath: 'routing.md',
      metaMessages: ['Give --api-key KEY (repeatable), --api-key-file FILE or --keys-file FILE, or bind to 127.0.0.1 (the default).'],
    })
  }
}

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || /^127\./.test(host)
}

export type CoordinatorServer = { url: string; port: number; close(): Promise<void> }

/** Listens, and on close stops the server then the coordinator (indexer, relays, SQLite). */
export async function startCoordinatorServer({ coordinator, host = '127.0.0.1', port = 0 }: { coordinator: Coordinator; host?: string; port?: number }): Promise<CoordinatorServer> {
  if (coordinator.keys.open && coordinator.config.gateway && !isLoopback(host)) throw new OpenGatewayExposedError(host)
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: coordinator.app.fetch, hostname: host, port }, () => resolve(s as Server)) as Server
    s.once('error', reject)
  })
  const address = server.address() as AddressInfo
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    async close() {
      server.closeAllConnections?.()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await coordinator.close()
    },
  }
}
