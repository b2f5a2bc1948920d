// A ready-to-use CLI home for the network `infernet up` runs: a client key funded on the dev chain and a
// config.json with the relay and chain settings, so `INFERNET_HOME=<data>/client infernet chat|deposit|balance`
// works with nothing else to export. Each node home gets the same config.json, for `infernet payout`.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Address } from 'viem'

export type LocalChain = { rpcUrl: string; chainId: number; settlement: Address }

/** The config.json content (keys as the config schemas name them) for a CLI on this network. */
export function localCliConfig(relayUrl: string, chain: LocalChain | undefined): Record<string, unknown> {
  return { relays: [relayUrl], ...(chain ? { chainRpc: chain.rpcUrl, chainId: chain.chainId, settlementAddress: chain.settlement } : {}) }
}

export function writeLocalCliConfig(home: string, relayUrl: string, chain: LocalChain | undefined): void {
  writeFileSync(join(home, 'config.json'), JSON.stringify(localCliConfig(relayUrl, chain), null, 2) + '\n', { mode: 0o600 })
}
