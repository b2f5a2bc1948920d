// Keys every command shares.
import { homedir } from 'node:os'
import { join } from 'node:path'
import { key, parsers } from './load.ts'

/** Well-known public relays, used only when neither --relay nor INFERNET_RELAYS nor the config file names any. */
export const defaultRelays = ['wss://relay.damus.io', 'wss://nos.lol', 'wss://relay.primal.net', 'wss://offchain.pub']

export const commonSchema = {
  home: key('INFERNET_HOME', join(homedir(), '.config', 'infernet'), 'Directory for keys, config and data', parsers.string),
  relays: key('INFERNET_RELAYS', defaultRelays, 'Relay URLs (comma-separated)', parsers.list),
  logLevel: key('INFERNET_LOG_LEVEL', 'info', 'Log level: debug, info, warn, error', parsers.string),
}

/** The home directory decides where the config file is, so it is resolved first, from flags or env. */
export function resolveHome(flags: { home?: string | undefined }, env: Record<string, string | undefined> = process.env): string {
  return flags.home ?? env.INFERNET_HOME ?? commonSchema.home.default
}

export function configFilePath(home: string): string {
  return join(home, 'config.json')
}
