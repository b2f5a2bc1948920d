// NIP-09 deletion requests: what a kind-5 event names and what it may remove. A relay's store applies these
// (relay/store/writePlan.ts); nothing else decides whether a deletion counts.
import type { NostrEvent } from './event.ts'
import { parseAddress, type EventAddress } from './address.ts'
import { EventDeletion } from './kinds.ts'

export type DeletionTargets = { ids: string[]; addresses: string[] }

/** The ids (`e` tags) and addresses (`a` tags) a deletion request names; malformed values are skipped. */
export function deletionTargets(event: Pick<NostrEvent, 'tags'>): DeletionTargets {
  const ids: string[] = []
  const addresses: string[] = []
  for (const t of event.tags) {
    if (t[0] === 'e' && t[1] !== undefined && /^[0-9a-f]{64}$/.test(t[1])) ids.push(t[1])
    else if (t[0] === 'a' && t[1] !== undefined && parseAddress(t[1])) addresses.push(t[1])
  }
  return { ids, addresses }
}

/** Only the author can delete, and deleting a deletion request has no effect. */
export function deletesEvent(deletion: Pick<NostrEvent, 'pubkey'>, target: Pick<NostrEvent, 'pubkey' | 'kind'>): boolean {
  return target.pubkey === deletion.pubkey && target.kind !== EventDeletion
}

/** The addresses of the request's own author: an `a` tag naming someone else's address is ignored. */
export function ownDeletedAddresses(deletion: Pick<NostrEvent, 'pubkey' | 'tags'>): EventAddress[] {
  return deletionTargets(deletion)
    .addresses.map((text) => parseAddress(text)!)
    .filter((address) => address.pubkey === deletion.pubkey)
}

/** An `a` deletion removes the versions of the address up to the request's created_at, and no later ones. */
export function deletesVersion(deletion: Pick<NostrEvent, 'created_at'>, version: Pick<NostrEvent, 'created_at'>): boolean {
  return version.created_at <= deletion.created_at
}
