// What one SDK client remembers for its session: outcomes per node (routing's reliability), the nodes that
// failed result verification (never tried again), and what it paid (in total, and cumulative per node for the
// receipts). Owned by one client; the actions read and update it.
import type { NodeRecord } from './routing.ts'

export type ClientSession = {
  history: Map<string, NodeRecord>
  bad: Set<string>
  owed: Map<string, bigint>
  spent: bigint
}

export function createSession(): ClientSession {
  return { history: new Map(), bad: new Set(), owed: new Map(), spent: 0n }
}

export function recordOutcome(session: ClientSession, node: string, ok: boolean): void {
  const r = session.history.get(node) ?? { ok: 0, failed: 0 }
  if (ok) r.ok++
  else r.failed++
  session.history.set(node, r)
}
