// Kept free of imports so `infernet --help` stays light.
/** yargs options of the chain, shared by deposit, balance, withdraw and payout. */
export const chainCliOptions = {
  rpc: { type: 'string', describe: 'Chain JSON-RPC URL (env INFERNET_CHAIN_RPC)' },
  'chain-id': { type: 'number', describe: 'Chain id (env INFERNET_CHAIN_ID)' },
  contract: { type: 'string', describe: 'Settlement contract address (env INFERNET_SETTLEMENT_ADDRESS)' },
  token: { type: 'string', describe: 'ERC-20 token address; omit for the native coin (env INFERNET_TOKEN)' },
} as const

/** The client's payment commands (deposit, balance, withdraw) also take a node by npub, read on relays. */
export const paymentsCliOptions = {
  ...chainCliOptions,
  relay: { type: 'string', array: true, describe: 'Relay URL to read a node\'s payout address from, given its npub; repeat for several (env INFERNET_RELAYS)' },
} as const
