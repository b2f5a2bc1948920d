import { getAddress, isAddress } from 'viem'
import type { Address } from 'viem'
import { BaseError } from '../../../src/errors/base.ts'

/**
 * `--node` takes the node's payout address. A Nostr key (npub or hex) does not determine an Ethereum address
 * (x-only key: the y parity is unknown, and a node may use a separate payout address), so it must be resolved
 * from the node's capability event (`payment.payee`, checked with verifyPayeeLink) first.
 */
export function resolvePayee(node: string): Address {
  const value = node.trim()
  if (isAddress(value, { strict: false })) return getAddress(value)
  if (value.startsWith('npub1') || /^[0-9a-f]{64}$/i.test(value)) {
    throw new BaseError(`"${value.slice(0, 16)}…" is a Nostr key; deposits need the node's payout address.`, {
      docsPath: 'cpr.md',
      metaMessages: ['Take `payment.payee` from the node\'s capability event (e.g. `infernet nodes --json`) and pass it to --node.'],
    })
  }
  throw new BaseError(`Invalid --node "${value}": expected a 0x address.`)
}
