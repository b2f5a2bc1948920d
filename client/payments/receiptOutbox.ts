// What the SDK sent each node as payment, and whether the node acknowledged it (a `receipt-ack` frame on the direct
// channel). Receipts are cumulative, so only the newest per node matters: it covers the earlier ones (with its
// `jobs` list, nips/cpr.md "Receipts that cover several jobs"), and it is the one sent again while unacknowledged.
import type { NostrEvent } from '../../src/protocol/event.ts'

export type OutboxEntry = {
  node: string
  job: string
  event: NostrEvent
  /** The node's stream base URL, for sending it again over the direct channel (null: relays only). */
  stream: string | null
  acked: boolean
  /** Why the node refused it last, if it did. */
  reason?: string | undefined
  /** Times it was sent again. */
  resent: number
}

export type ReceiptAck = { job?: string | undefined; accepted: boolean; reason?: string | undefined }

export type ReceiptOutbox = {
  /** Records the newest receipt sent to `node` (it replaces the one before). */
  sent(entry: Pick<OutboxEntry, 'node' | 'job' | 'event' | 'stream'>): void
  /** Applies a node's answer; returns the entry it concerns, if it is a node's newest. */
  ack(ack: ReceiptAck): OutboxEntry | undefined
  /** Newest receipts the nodes have not acknowledged. */
  unacknowledged(): OutboxEntry[]
}

/** A refusal meaning the node already holds this receipt or a newer one: nothing is missing. */
const alreadyHeld = /^not-increasing\b/

/** Refusals worth sending the same receipt again for: the node could not check it, not that it is wrong. */
export function isRetryableRefusal(reason: string | undefined): boolean {
  return reason !== undefined && /^chain-unavailable\b/.test(reason)
}

export function createReceiptOutbox(): ReceiptOutbox {
  const newest = new Map<string, OutboxEntry>()
  return {
    sent({ node, job, event, stream }) {
      newest.set(node, { node, job, event, stream, acked: false, resent: 0 })
    },
    ack({ job, accepted, reason }) {
      if (job === undefined) return undefined
      for (const entry of newest.values()) {
        if (entry.job !== job) continue
        entry.acked = accepted || alreadyHeld.test(reason ?? '')
        entry.reason = entry.acked ? undefined : reason
        return entry
      }
      return undefined
    },
    unacknowledged: () => [...newest.values()].filter((e) => !e.acked),
  }
}
