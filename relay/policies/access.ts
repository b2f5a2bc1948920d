// Who may write and read: NIP-42 auth requirements, NIP-70 protected events, NIP-13 PoW, block lists.
import { reject, type RejectEventHook, type RejectFilterHook } from '../hooks.ts'

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

export function minPow({ difficulty }: { difficulty: number }): RejectEventHook {
  return (event) => {
    const bits = powDifficulty(event.id)
    return bits < difficulty ? reject(`pow: difficulty ${bits} is less than ${difficulty}`) : undefined
  }
}

/** NIP-42: only authenticated connections may publish (AUTH events themselves never pass through here). */
export function requireAuth(): RejectEventHook {
  return (_event, ctx) => (ctx.conn.authed.size === 0 ? reject('auth-required: this relay only accepts events from authenticated users') : undefined)
}

/** NIP-42: REQ/COUNT naming one of `kinds` need an authenticated connection. */
export function requireAuthForKinds({ kinds }: { kinds: readonly number[] }): RejectFilterHook {
  const restricted = new Set(kinds)
  return (filters, ctx) => {
    if (ctx.conn.authed.size > 0 || restricted.size === 0) return undefined
    for (const f of filters) if (f.kinds?.some((k) => restricted.has(k))) return reject('auth-required: these kinds are only served to authenticated users')
    return undefined
  }
}

/** NIP-70: events tagged `["-"]` are accepted only from their authenticated author. */
export function protectedEvents(): RejectEventHook {
  return (event, ctx) => {
    if (!event.tags.some((t) => t[0] === '-')) return undefined
    if (ctx.conn.authed.size === 0) return reject('auth-required: this event may only be published by its author')
    if (!ctx.conn.authed.has(event.pubkey)) return reject('restricted: this event may only be published by its author')
    return undefined
  }
}

export function blockPubkeys({ pubkeys }: { pubkeys: readonly string[] }): RejectEventHook {
  const set = new Set(pubkeys)
  return (event) => (set.has(event.pubkey) ? reject('blocked: this author may not publish here') : undefined)
}

/** Spam control: the author is told OK true, the event is neither stored nor forwarded. */
export function shadowRejectPubkeys({ pubkeys }: { pubkeys: readonly string[] }): RejectEventHook {
  const set = new Set(pubkeys)
  return (event) => (set.has(event.pubkey) ? { action: 'shadowReject' } : undefined)
}
