// What every payments command needs: the identity from INFERNET_HOME, the chain config (file < env < flags)
// and a settlement client whose account is that identity.
import { bytesToHex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { configFilePath, resolveHome } from '../config/common.ts'
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
}

export type PaymentsCliContext = { home: string; identity: Identity; config: PaymentsConfig; client: SettlementClient }

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
  const account = privateKeyToAccount(bytesToHex(identity.secretKey))
  return { home, identity, config, client: createSettlementClient(config, account) }
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
