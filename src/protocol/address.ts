// NIP-01 addresses of replaceable and addressable events (`kind:pubkey:d`), the key under which a relay keeps one
// version and the value of a NIP-09 `a` tag. Built and parsed here only, so a deletion's `a` tag names exactly the
// address the store files the event under.
import type { NostrEvent } from './event.ts'
import { kindClass } from './kinds.ts'

export type EventAddress = { kind: number; pubkey: string; d: string }

/** The first `d` tag's value; an addressable event without one has the empty d. */
function getDTag(event: Pick<NostrEvent, 'tags'>): string {
  for (const t of event.tags) if (t[0] === 'd') return t[1] ?? ''
  return ''
}

export function formatAddress({ kind, pubkey, d }: EventAddress): string {
  return `${kind}:${pubkey}:${d}`
}

/** The address parts of a replaceable (d always empty) or addressable event; undefined for other kinds. */
export function addressOf(event: Pick<NostrEvent, 'kind' | 'pubkey' | 'tags'>): EventAddress | undefined {
  const cls = kindClass(event.kind)
  if (cls === 'replaceable') return { kind: event.kind, pubkey: event.pubkey, d: '' }
  if (cls === 'addressable') return { kind: event.kind, pubkey: event.pubkey, d: getDTag(event) }
  return undefined
}

/** The NIP-01 address of a replaceable/addressable event: `kind:pubkey:d` (d empty for replaceable). */
export function eventAddress(event: Pick<NostrEvent, 'kind' | 'pubkey' | 'tags'>): string | undefined {
  const address = addressOf(event)
  return address && formatAddress(address)
}

const addressPattern = /^(\d+):([0-9a-f]{64}):/

/** Reads `kind:pubkey:d` (d may itself contain colons); undefined when the kind or pubkey part is malformed. */
export function parseAddress(text: string): EventAddress | undefined {
  const m = addressPattern.exec(text)
  if (!m) return undefined
  return { kind: Number(m[1]), pubkey: m[2]!, d: text.slice(m[0].length) }
}
