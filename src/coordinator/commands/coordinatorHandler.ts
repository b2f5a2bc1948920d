// The process side of `infernet coordinator`: load config and the coordinator's identity, serve, print the
// ready line, stop on signals.
import { join } from 'node:path'
import WebSocket from 'ws'
import { commonSchema, configFilePath, resolveHome } from '../../config/common.ts'
import { loadConfig } from '../../config/load.ts'
import { keyPath, loadOrCreateIdentity } from '../../keys/identity.ts'
import { exitOnSignals } from '../../cli/exitOnSignals.ts'
import { createLogger, type LogLevel } from '../../log.ts'
import type { WebSocketConstructor } from '../../net/relayPool.ts'
import { createFastSigner } from '../../schnorr/fastest.ts'
import { readApiKeyFile } from '../apiKeyFile.ts'
import { apiKeyUsagePath } from '../apiKeyUsage.ts'
import { loadKeysFile } from '../apiKeys.ts'
import { createCoordinator } from '../app.ts'
import { loadCoordinatorConfig } from '../config.ts'
import { createGatewayPayments } from '../gateway/payments.ts'
import { startCoordinatorServer } from '../server.ts'
import type { CoordinatorCommandArguments } from './arguments.ts'

export async function runCoordinator(args: CoordinatorCommandArguments): Promise<void> {
  const home = resolveHome(args)
  const file = configFilePath(home)
  const common = loadConfig(commonSchema, { file, flags: { relays: args.relay?.length ? args.relay : undefined } }).values
  const config = loadCoordinatorConfig({ file, flags: { host: args.host, port: args.port, db: args.db, apiKeys: args.apiKey?.length ? args.apiKey : undefined, apiKeyFile: args.apiKeyFile, keysFile: args.keysFile } })
  const logger = createLogger({ component: 'coordinator', level: config.logLevel as LogLevel })
  const { identity, created } = loadOrCreateIdentity(keyPath(home))
  if (created) logger.info('created the coordinator identity', { npub: identity.npub })
  const apiKeys = config.keysFile ? loadKeysFile(config.keysFile) : []
  const dbPath = config.db || join(home, 'coordinator.db')
  const payments = await createGatewayPayments({ home, secretKey: identity.paymentSecretKey, budgetPerNode: config.gatewayBudgetPerNode, logger })
  const coordinator = createCoordinator({
    relays: common.relays,
    dbPath,
    usagePath: apiKeyUsagePath(home),
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    signer: await createFastSigner(identity.secretKey),
    apiKeys,
    config: config.apiKeyFile ? { ...config, apiKeys: [...config.apiKeys, ...readApiKeyFile(config.apiKeyFile)] } : config,
    logger,
    receipts: payments?.receipts,
  })
  let server
  try {
    server = await startCoordinatorServer({ coordinator, host: config.host, port: config.port })
  } catch (err) {
    await coordinator.close()
    throw err
  }
  if (args.json) {
    process.stdout.write(JSON.stringify({ ready: true, url: server.url, port: server.port, db: dbPath, npub: identity.npub, pid: process.pid }) + '\n')
  } else {
    process.stdout.write(`Coordinator on ${server.url} (status page /, OpenAI gateway /v1, REST /api/v1; cache ${dbPath}; ${common.relays.length} relays)\n`)
  }
  exitOnSignals(logger, async () => {
    await server.close()
    payments?.close()
  })
}
