// Candidates from a coordinator: GET {coordinator}/api/v1/nodes?model=M. The coordinator is a cache, not an
// authority: every capability and heartbeat it returns is re-verified here (id, signature, expiry, schema, and
// that both events are signed by the pubkey the entry names). Entries that fail are dropped, not trusted.
import { BaseError, redactUrl } from '../src/errors/base.ts'
import { parseCapability } from '../src/protocol/capability.ts'
import { parseHeartbeat } from '../src/protocol/heartbeat.ts'
import type { EventVerifier } from '../src/protocol/verify.ts'
import type { StatsSummary } from '../src/routing/stats.ts'
import { toMarketNode, type MarketNode, type NodeEntry } from './market.ts'

export class CoordinatorError extends BaseError {
  override name = 'CoordinatorError'
  override code = 'coordinator'
  constructor(url: string, reason: string, cause?: unknown) {
    super(`The coordinator at ${redactUrl(url)} could not list nodes: ${reason}.`, {
      docsPath: 'client.md',
      metaMessages: ['Check the coordinator URL, or leave `coordinator` unset to discover nodes from relays directly.'],
      cause,
    })
  }
}

type CoordinatorEntry = { pubkey?: unknown; capability?: unknown; heartbeat?: unknown; stats?: unknown; score?: unknown }

export type FetchCoordinatorNodesParameters = {
  coordinator: string
  model?: string | undefined
  fetch: typeof fetch
  /** Unix seconds. */
  now: number
  signal?: AbortSignal | undefined
  /** The client's verifier: it remembers what passed, so the same events on every answer cost one sha256 each. */
  verifier?: EventVerifier | undefined
}

export type FetchCoordinatorNodesReturnType = { nodes: MarketNode[]; rejected: { pubkey: string; reason: string }[] }

export async function fetchCoordinatorNodes({ coordinator, model, fetch: fetchFn, now, signal, verifier }: FetchCoordinatorNodesParameters): Promise<FetchCoordinatorNodesReturnType> {
  const url = new URL('api/v1/nodes', coordinator.endsWith('/') ? coordinator : coordinator + '/')
  if (model !== undefined) url.searchParams.set('model', model)
  let body: unknown
  try {
    const res = await fetchFn(url, { headers: { accept: 'application/json' }, ...(signal ? { signal } : {}) })
    if (!res.ok) throw new CoordinatorError(coordinator, `HTTP ${res.status}`)
    body = await res.json()
  } catch (err) {
    if (err instanceof CoordinatorError) throw err
    throw new CoordinatorError(coordinator, (err as Error).message, err)
  }
  const list = (body as { nodes?: unknown }).nodes
  if (!Array.isArray(list)) throw new CoordinatorError(coordinator, 'response has no "nodes" array')
  const nodes: MarketNode[] = []
  const rejected: { pubkey: string; reason: string }[] = []
  for (const raw of list as CoordinatorEntry[]) {
    const pubkey = typeof raw.pubkey === 'string' ? raw.pubkey : '?'
    const cap = parseCapability(raw.capability, { now, verify: verifier })
    if (!cap.ok) {
      rejected.push({ pubkey, reason: `capability ${cap.reason}` })
      continue
    }
    if (cap.data.pubkey !== pubkey) {
      rejected.push({ pubkey, reason: 'capability is signed by another key' })
      continue
    }
    const entry: NodeEntry & { capability: NonNullable<NodeEntry['capability']> } = { capability: { data: cap.data, event: cap.event } }
    if (raw.heartbeat !== null && raw.heartbeat !== undefined) {
      const hb = parseHeartbeat(raw.heartbeat, { now, verify: verifier })
      if (!hb.ok || hb.data.pubkey !== pubkey) {
        rejected.push({ pubkey, reason: hb.ok ? 'heartbeat is signed by another key' : `heartbeat ${hb.reason}` })
        continue
      }
      entry.heartbeat = { data: hb.data, event: hb.event }
    }
    const node = toMarketNode(entry, now, model)
    node.stats = parseStats(raw.stats)
    if (typeof raw.score === 'number') node.score = raw.score
    nodes.push(node)
  }
  return { nodes, rejected }
}

function parseStats(raw: unknown): StatsSummary | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined
  const s = raw as Record<string, unknown>
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null)
  return { jobs: num(s.jobs) ?? 0, successRate: num(s.successRate), avgTtftMs: num(s.avgTtftMs), avgTps: num(s.avgTps) }
}
