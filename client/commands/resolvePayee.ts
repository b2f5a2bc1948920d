import { getAddress, isAddress } from 'viem'
import type { Address } from 'viem'
import WebSocket from 'ws'
import { BaseError } from '../../src/errors/base.ts'
import { parsePublicKey } from '../../src/keys/identity.ts'
import { createRelayPool, type WebSocketConstructor } from '../../src/net/relayPool.ts'
import { parseCapability } from '../../src/protocol/capability.ts'
import * as kinds from '../../src/protocol/kinds.ts'
import { verifyPayeeLink } from '../../src/payments/payeeLink.ts'
import type { SettlementDomain } from '../../src/payments/voucher.ts'

export class PayeeNotFoundError extends BaseError {
  override name = 'PayeeNotFoundError'
  override code = 'payee-not-found'
  constructor(node: string, reason: string, relays: string[]) {
    super(`Cannot find where node ${node.slice(0, 16)}… is paid: ${reason}.`, {
      docsPath: 'cpr.md',
      metaMessages: [`Relays asked: ${relays.join(', ') || '(none)'}. Pass --relay with a relay the node publishes to, or give its payout address (0x…) to --node.`],
    })
  }
}

/**
 * `--node` is the node's payout address, or its Nostr key (npub or hex). A Nostr key does not determine an Ethereum
 * address (x-only key, and a node may use a separate payout address), so it is resolved through the node's signed
 * capability event: `payment.payee`, accepted only when the payee's EIP-191 proof links it back to that key and the
 * terms name our chain and contract.
 */
export async function resolvePayee(node: string, { relays, domain, timeoutMs = 5000 }: { relays: string[]; domain: SettlementDomain; timeoutMs?: number }): Promise<Address> {
  const value = node.trim()
  if (isAddress(value, { strict: false })) return getAddress(value)
  let pubkey: string
  try {
    pubkey = parsePublicKey(value)
  } catch {
    throw new BaseError(`Invalid --node "${value}": expected a 0x payout address, an npub or a 64-character hex key.`)
  }
  const pool = createRelayPool({ urls: relays, WebSocket: WebSocket as unknown as WebSocketConstructor })
  try {
    if ((await pool.ready({ timeoutMs })) === 0) throw new PayeeNotFoundError(pubkey, 'no relay could be reached', relays)
    const events = await pool.query([{ kinds: [kinds.Capability], authors: [pubkey], '#d': ['infernet'] }], { timeoutMs })
    const newest = events
      .map((e) => parseCapability(e))
      .filter((r) => r.ok)
      .sort((a, b) => b.data.createdAt - a.data.createdAt)[0]
    if (!newest) throw new PayeeNotFoundError(pubkey, 'no valid capability event', relays)
    const payment = newest.data.payment
    if (!payment) throw new PayeeNotFoundError(pubkey, 'the node announces no payment terms (it serves for free)', relays)
    if (payment.chainId !== domain.chainId || getAddress(payment.contract) !== getAddress(domain.verifyingContract)) {
      throw new PayeeNotFoundError(pubkey, `it is paid on chain ${payment.chainId} contract ${payment.contract}, not on ours`, relays)
    }
    if (!(await verifyPayeeLink({ payee: payment.payee, nostrPubkey: pubkey, proof: payment.payeeProof }))) {
      throw new PayeeNotFoundError(pubkey, `its payout address ${payment.payee} carries no valid proof linking it to the node's key`, relays)
    }
    return getAddress(payment.payee)
  } finally {
    pool.close()
  }
}
