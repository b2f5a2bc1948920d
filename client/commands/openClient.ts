// The SDK instance the client commands share: config from flags, env and the config file, and the key under
// $INFERNET_HOME. Node-only (the `ws` WebSocket, the key file); the SDK stays isomorphic.
import WebSocket from 'ws'
import { commonSchema, configFilePath, resolveHome } from '../../src/config/common.ts'
import { loadConfig } from '../../src/config/load.ts'
import { keyPath, loadOrCreateIdentity } from '../../src/keys/identity.ts'
import { createLogger, type LogLevel } from '../../src/log.ts'
import type { WebSocketConstructor } from '../../src/net/relayPool.ts'
import { createLocalSigner } from '../../src/signer.ts'
import { InfernetClient, type RoutingPolicy } from '../client.ts'
import { clientSchema } from '../config.ts'
import { InvalidRoutingPolicyError } from '../errors.ts'
import { openChatPayments, type ChatPayments } from './chatPayments.ts'

type Common = { home?: string | undefined; relay?: string[] | undefined; coordinator?: string | undefined; model?: string | undefined; routing?: string | undefined }

function parseRouting(value: string): RoutingPolicy {
  if (value === 'reliable' || value === 'cheapest' || value === 'fastest') return value
  if (value.startsWith('pin:')) return { pin: value.slice(4) }
  if (value.startsWith('region:')) return { region: value.slice(7) }
  throw new InvalidRoutingPolicyError(value)
}

export type OpenClientReturnType = {
  client: InfernetClient
  config: ReturnType<typeof loadClientConfig>
  /** How this client pays (`pay: true` and a settlement contract configured); undefined otherwise. */
  payments: ChatPayments | undefined
  /** Closes the client and the receipt store. */
  close(): Promise<void>
}

export function openClient(argv: Common, { pay = false }: { pay?: boolean } = {}): OpenClientReturnType {
  const config = loadClientConfig(argv)
  const { identity } = loadOrCreateIdentity(keyPath(config.home))
  const logger = createLogger({ component: 'client', level: config.logLevel as LogLevel })
  const payments = pay ? openChatPayments({ home: config.home, identity }) : undefined
  const client = new InfernetClient({
    relays: config.relays,
    signer: createLocalSigner(identity.secretKey),
    coordinator: config.coordinator,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    routing: parseRouting(config.routing),
    acceptTimeoutMs: config.acceptTimeoutMs,
    trustedAuditors: config.trustedAuditors,
    receipts: payments?.receipts,
    logger,
  })
  return {
    client,
    config,
    payments,
    async close() {
      try {
        await client.close()
      } finally {
        payments?.close()
      }
    },
  }
}

function loadClientConfig(argv: Common) {
  const home = resolveHome(argv)
  const { values } = loadConfig(
    { ...commonSchema, ...clientSchema },
    { file: configFilePath(home), flags: { home, relays: argv.relay, coordinator: argv.coordinator, model: argv.model, routing: argv.routing } },
  )
  return values
}
