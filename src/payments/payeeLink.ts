// Links a node's Nostr key to a separate payout address, both ways: the capability event (signed by the Nostr
// key) names the payout address, and the payout address signs (EIP-191 personal_sign) the message below.
import { getAddress, isAddress, verifyMessage } from 'viem'
import type { Address, Hex, LocalAccount } from 'viem'

export function payeeLinkMessage(nostrPubkey: string): string {
  if (!/^[0-9a-f]{64}$/.test(nostrPubkey)) throw new TypeError('nostr pubkey must be 64 lowercase hex characters')
  return `infernet:payee:${nostrPubkey}`
}

export type SignMessageFn = (parameters: { message: string }) => Promise<Hex>

/** The payee proof (`payeeProof` in the capability's `payment` field): an EIP-191 signature by the payout address. */
export async function signPayeeLink(account: LocalAccount | SignMessageFn, nostrPubkey: string): Promise<Hex> {
  const message = payeeLinkMessage(nostrPubkey)
  return typeof account === 'function' ? account({ message }) : account.signMessage({ message })
}

/** True when `proof` is `payee`'s personal_sign of `infernet:payee:<nostrPubkey>`. */
export async function verifyPayeeLink({ payee, nostrPubkey, proof }: { payee: Address | string; nostrPubkey: string; proof: Hex | string }): Promise<boolean> {
  if (!isAddress(payee, { strict: false }) || !/^0x[0-9a-fA-F]{130}$/.test(proof)) return false
  try {
    return await verifyMessage({ address: getAddress(payee), message: payeeLinkMessage(nostrPubkey), signature: proof as Hex })
  } catch {
    return false
  }
}
