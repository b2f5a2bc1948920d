// NIP-01 storage classes of kinds, NIP-09 deletion references, NIP-13 difficulty and NIP-40 expiration.
import type { NostrEvent } from '../src/protocol/event.ts'

export type KindClass = 'regular' | 'replaceable' | 'ephemeral' | 'addressable'

export function kindClass(kind: number): KindClass {
  if (kind === 0 || kind === 3 || (kind >= 10000 && kind < 20000)) return 'replaceable'
  if (kind >= 20000 && kind < 30000) return 'ephemeral'
  if (kind >= 30000 && kind < 40000) return 'addressable'
  return 'regular'
}

export function getDTag(event: Pick<NostrEvent, 'tags'>): string {
  for (const t of event.tags) if (t[0] === 'd') return t[1] ?? ''
  return ''
}

/** The NIP-01 address of a replaceable/addressable event: `kind:pubkey:d` (d empty for replaceable). */
export function eventAddress(event: Pick<NostrEvent, 'kind' | 'pubkey' | 'tags'>): string | undefined {
  const cls = kindClass(event.kind)
  if (cls === 'replaceable') return `${event.kind}:${event.pubkey}:`
  if (cls === 'addressable') return `${event.kind}:${event.pubkey}:${getDTag(event)}`
  return undefined
}

/** NIP-40 expiration timestamp, or undefined. A malformed tag counts as no expiration. */
export function getExpiration(event: Pick<NostrEvent, 'tags'>): number | undefined {
  for (const t of event.tags) if (t[0] === 'expiration' && t[1] !== undefined && /^\d{1,15}$/.test(t[1])) return Number(t[1])
  return undefined
}

export type DeletionTargets = { ids: string[]; addresses: string[] }

/** NIP-09: the ids (`e` tags) and addresses (`a` tags) a kind-5 event asks to delete. */
export function deletionTargets(event: Pick<NostrEvent, 'tags'>): DeletionTargets {
  const ids: string[] = []
  const addresses: string[] = []
  for (const t of event.tags) {
    if (t[0] === 'e' && t[1] !== undefined && /^[0-9a-f]{64}$/.test(t[1])) ids.push(t[1])
    else if (t[0] === 'a' && t[1] !== undefined && /^\d+:[0-9a-f]{64}:/.test(t[1])) addresses.push(t[1])
  }
  return { ids, addresses }
}

/** NIP-13: leading zero bits of the event id. */
export function powDifficulty(id: string): number {
  let bits = 0
  for (let i = 0; i < id.length; i++) {
    const nibble = parseInt(id[i]!, 16)
    if (nibble === 0) {
      bits += 4
      continue
    }
    bits += Math.clz32(nibble) - 28
    break
  }
  return bits
}

/** NIP-70: the event carries the `["-"]` tag. */
export function isProtected(event: Pick<NostrEvent, 'tags'>): boolean {
  for (const t of event.tags) if (t[0] === '-') return true
  return false
}
