// NIP-01 filters: shape validation and pure matching. No I/O; the stores and the fan-out both use `matchFilter`.
import type { NostrEvent } from '../src/protocol/event.ts'

export type Filter = {
  ids?: string[] | undefined
  authors?: string[] | undefined
  kinds?: number[] | undefined
  since?: number | undefined
  until?: number | undefined
  limit?: number | undefined
  /** Single-letter tag filters, keyed by the letter (without `#`). */
  tags?: Record<string, string[]> | undefined
}

export type ParseFilterResult = { ok: true; filter: Filter } | { ok: false; reason: string }

const hex64 = /^[0-9a-f]{64}$/
const tagKey = /^#[a-zA-Z]$/

/** Validates one filter object from a REQ/COUNT and returns its normalized form. */
export function parseFilter(input: unknown): ParseFilterResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, reason: 'invalid: filter is not a JSON object' }
  const filter: Filter = {}
  for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
    switch (k) {
      case 'ids':
      case 'authors': {
        if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && hex64.test(x))) {
          return { ok: false, reason: `invalid: "${k}" must be an array of 64-character lowercase hex strings` }
        }
        filter[k] = v as string[]
        break
      }
      case 'kinds': {
        if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x) && x >= 0 && x <= 65535)) {
          return { ok: false, reason: 'invalid: "kinds" must be an array of integers 0-65535' }
        }
        filter.kinds = v as number[]
        break
      }
      case 'since':
      case 'until':
      case 'limit': {
        if (!Number.isInteger(v) || (v as number) < 0) return { ok: false, reason: `invalid: "${k}" must be a non-negative integer` }
        filter[k] = v as number
        break
      }
      default: {
        if (tagKey.test(k)) {
          if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return { ok: false, reason: `invalid: "${k}" must be an array of strings` }
          filter.tags ??= {}
          filter.tags[k.slice(1)] = v as string[]
        } else if (k.startsWith('#')) {
          return { ok: false, reason: `invalid: unsupported tag filter "${k}" (single-letter tags only)` }
        }
        // Unknown keys (e.g. NIP-50 "search") are ignored, as most relays do.
      }
    }
  }
  return { ok: true, filter }
}

/** True when the event satisfies every condition of the filter (limit is not a matching condition). */
export function matchFilter(filter: Filter, event: NostrEvent): boolean {
  if (filter.ids !== undefined && !filter.ids.includes(event.id)) return false
  if (filter.kinds !== undefined && !filter.kinds.includes(event.kind)) return false
  if (filter.authors !== undefined && !filter.authors.includes(event.pubkey)) return false
  if (filter.since !== undefined && event.created_at < filter.since) return false
  if (filter.until !== undefined && event.created_at > filter.until) return false
  if (filter.tags !== undefined) {
    for (const name in filter.tags) {
      const values = filter.tags[name]!
      let found = false
      for (const tag of event.tags) {
        if (tag[0] === name && tag.length > 1 && values.includes(tag[1]!)) {
          found = true
          break
        }
      }
      if (!found) return false
    }
  }
  return true
}

/** NIP-01 order: newest first, ties broken by the lexically lowest id. */
export function compareEvents(a: Pick<NostrEvent, 'created_at' | 'id'>, b: Pick<NostrEvent, 'created_at' | 'id'>): number {
  if (a.created_at !== b.created_at) return b.created_at - a.created_at
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/** True when a filter can never match anything (an empty ids/authors/kinds/tag list, or since > until). */
export function isEmptyFilter(filter: Filter): boolean {
  if (filter.ids?.length === 0 || filter.authors?.length === 0 || filter.kinds?.length === 0) return true
  if (filter.tags) for (const v of Object.values(filter.tags)) if (v.length === 0) return true
  if (filter.since !== undefined && filter.until !== undefined && filter.since > filter.until) return true
  return filter.limit === 0
}
