// Event makers for the conformance suite: fresh keys per test keep tests independent on a shared relay.
import type { Event as NostrEvent } from 'nostr-tools'
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure'

export type Author = { sk: Uint8Array; pubkey: string; sign(template?: Partial<Template>): NostrEvent }
export type Template = { kind: number; created_at: number; tags: string[][]; content: string }

export const now = (): number => Math.floor(Date.now() / 1000)

export function author(): Author {
  const sk = generateSecretKey()
  const pubkey = getPublicKey(sk)
  return {
    sk,
    pubkey,
    // Round-trip through JSON to drop nostr-tools' [verified] symbol: the wire form is what we compare against.
    sign: (template = {}) =>
      JSON.parse(JSON.stringify(finalizeEvent({ kind: 1, created_at: now(), tags: [], content: '', ...template }, sk))) as NostrEvent,
  }
}

/** 64 lowercase hex characters, random. */
export function randomHex64(): string {
  return Buffer.from(generateSecretKey()).toString('hex')
}

/** A copy with one hex digit of the signature flipped. */
export function withBadSignature(event: NostrEvent): NostrEvent {
  const last = event.sig.at(-1) === '0' ? '1' : '0'
  return { ...event, sig: event.sig.slice(0, -1) + last }
}

export const ids = (events: NostrEvent[]): string[] => events.map((e) => e.id)
export const sorted = (values: string[]): string[] => [...values].sort()

/** NIP-01 order for a query answer: created_at descending, then id ascending. */
export function nip01Order(events: NostrEvent[]): NostrEvent[] {
  return [...events].sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/** Prefixes NIP-01 standardizes for OK and CLOSED, plus the two NIP-42 adds. */
export const standardPrefixes = ['duplicate', 'pow', 'blocked', 'rate-limited', 'invalid', 'error', 'auth-required', 'restricted']

export function prefixOf(message: string): string | undefined {
  const m = /^([a-z-]+):/.exec(message)
  return m?.[1]
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
