// What every payments command needs: the identity from INFERNET_HOME, the chain config (file < env < flags)
// and a settlement client whose account is that identity's payment key (src/keys/paymentKey.ts).
import { bytesToHex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { commonSchema, configFilePath, resolveHome } from '../config/common.ts'
import { loadConfig } from '../config/load.ts'
import { keyPath, loadIdentity } from '../keys/identity.ts'
import type { Identity } from '../keys/identity.ts'
import { BaseError } from '../errors/base.ts'
import { existsSync } from 'node:fs'
import { createSettlementClient } from './clients.ts'
import type { SettlementClient } from './clients.ts'
import { loadPaymentsConfig } from './config.ts'
import type { PaymentsConfig } from './config.ts'

export type PaymentsCliFlags = {
  home?: string | undefined
  rpc?: string | undefined
  chainId?: number | undefined
  contract?: string | undefined
  token?: string | undefined
  relay?: string[] | undefined
}

export type PaymentsCliContext = { home: string; identity: Identity; config: PaymentsConfig; client: SettlementClient; relays: string[] }

export function paymentsCliContext(flags: PaymentsCliFlags, env: Record<string, string | undefined> = process.env): PaymentsCliContext {
  const home = resolveHome(flags, env)
  const path = keyPath(home)
  if (!existsSync(path)) throw new BaseError(`No key at ${path}.`, { metaMessages: ['Run `infernet keys` to create one, or pass --home.'] })
  const identity = loadIdentity(path)
  const config = loadPaymentsConfig({
    file: configFilePath(home),
    env,
    flags: { chainRpc: flags.rpc, chainId: flags.chainId, settlementAddress: flags.contract, token: flags.token },
  })
  const account = privateKeyToAccount(bytesToHex(identity.paymentSecretKey))
  // Relays are needed only to resolve a node given by its Nostr key to its payout address.
  const { relays } = loadConfig(commonSchema, { file: configFilePath(home), env, flags: { relays: flags.relay?.length ? flags.relay : undefined } }).values
  return { home, identity, config, client: createSettlementClient(config, account), relays }
}

/** Base-unit amounts only (no decimals): the CLI never guesses a token's decimals. */
export function parseAmount(raw: unknown): bigint {
  const s = String(raw).trim()
  if (!/^\d+$/.test(s) || BigInt(s) === 0n) throw new BaseError(`Invalid amount "${s}".`, { metaMessages: ['Give a positive integer amount in the token\'s base units (wei for the native coin).'] })
  return BigInt(s)
}

export function formatTime(unixSeconds: number): string {
  return unixSeconds === 0 ? '-' : new Date(unixSeconds * 1000).toISOString()
}
