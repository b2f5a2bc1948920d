// Which URL a client's auth event must bind on this node (nips/stream.md, "Authentication", step 2): the node's
// announced stream URL (or, when it announces none, the one it listens on) and the extra names its operator lists
// for a proxy in front of it. Never the request's Host header: any caller sets that, so a node that received a
// client's auth could replay it to another node under that node's Host. Pure.
import { getTagValue, type NostrEvent } from '../../src/protocol/event.ts'
import { sseUrl, wsUrl } from '../../src/protocol/frames.ts'

/** The base URLs auth events may bind: the announced (else the listening) one first, then the operator's. */
export function authBases({ announced, listening, extra = [] }: { announced?: string | undefined; listening: string; extra?: readonly string[] | undefined }): string[] {
  return [announced || listening, ...extra]
}

/**
 * The URL `auth` must bind for one transport: the one its `u` tag names, if it is one of this node's, else the
 * first (the announced one, which the refusal then names).
 */
export function boundAuthUrl(bases: readonly string[], transport: 'ws' | 'sse', auth: unknown): string {
  const u = typeof auth === 'object' && auth !== null && Array.isArray((auth as NostrEvent).tags) ? getTagValue(auth as NostrEvent, 'u') : undefined
  const candidates = bases.map((b) => (transport === 'ws' ? wsUrl(b) : sseUrl(b)))
  return candidates.find((c) => c === u) ?? candidates[0]!
}
