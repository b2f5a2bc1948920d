// The client's own view of the market, built from capability (33830) and heartbeat (13830) events. Pure state
// plus one subscription; every event is validated before it counts. Whether a node is live and can take a job is
// the core's rule (src/routing/liveness.ts, nips/routing.md), the same one every coordinator applies.
import { npubEncode } from 'nostr-tools/nip19'
import type { Filter, RelayPool, Subscription } from '../src/net/relayPool.ts'
import { parseAuditVerdict, type AuditVerdict } from '../src/protocol/auditVerdict.ts'
import { parseCapability, modelPrice, type Capability } from '../src/protocol/capability.ts'
import type { NostrEvent } from '../src/protocol/event.ts'
import { parseHeartbeat, type Heartbeat } from '../src/protocol/heartbeat.ts'
import type { EventVerifier } from '../src/protocol/verify.ts'
import * as kinds from '../src/protocol/kinds.ts'
import type { Price } from '../src/protocol/schema.ts'
import { isAvailable } from '../src/routing/liveness.ts'
import { failedModels, reputationWindowSeconds } from '../src/routing/reputation.ts'
import type { StatsSummary } from '../src/routing/stats.ts'

export type MarketNode = {
  pubkey: string
  npub: string
  name: string | undefined
  models: string[]
  /** The node's default price per million tokens (a model may override it: see `priceFor`). */
  price: Price
  region: string | undefined
  stream: string | null
  tps: number | null
  ttftMs: number | null
  load: { busy: number; total: number; queue: number } | null
  /** Unix seconds of the newest heartbeat (or capability when no heartbeat was seen). */
  lastSeen: number
  /** Live for the model asked (or any) and able to take a job now: `isAvailable` in src/routing/liveness.ts. */
  live: boolean
  capability: Capability
  capabilityEvent: NostrEvent
  heartbeat: Heartbeat | undefined
  heartbeatEvent: NostrEvent | undefined
  /** Models the node fails its audits on, by the auditors this client trusts (nips/reputation.md); absent when none. */
  auditFailed?: ReadonlySet<string> | undefined
  /** What a coordinator measured about the node (GET /api/v1/nodes); absent when discovered from relays only. */
  stats?: StatsSummary | undefined
  /** Coordinator's score, when the node came from one. */
  score?: number | undefined
}

/** One model id on the market; `digests` are the weights live nodes announce under it (distinct, sorted). */
export type MarketModel = { id: string; nodes: number; minPrice: Price; maxTps: number | null; freeSlots: number; digests: string[] }

export type NodeEntry = { capability?: { data: Capability; event: NostrEvent }; heartbeat?: { data: Heartbeat; event: NostrEvent } }

export function priceFor(node: Pick<MarketNode, 'capability'>, model: string): Price {
  return modelPrice(node.capability, model)
}

/** `npub`: the node's npub when the caller already holds it (a coordinator's index): bech32 costs ~14 µs a node. */
export function toMarketNode(entry: NodeEntry & { capability: NonNullable<NodeEntry['capability']>; npub?: string | undefined }, now: number, model?: string): MarketNode {
  const cap = entry.capability.data
  const hb = entry.heartbeat?.data
  return {
    pubkey: cap.pubkey,
    npub: entry.npub ?? npubEncode(cap.pubkey),
    name: cap.name,
    models: cap.models.map((m) => m.id),
    price: cap.price,
    region: cap.region,
    stream: cap.stream,
    tps: hb?.tps ?? null,
    ttftMs: hb?.ttftMs ?? null,
    load: hb ? { busy: hb.slots.total - hb.slots.free, total: hb.slots.total, queue: hb.queue } : null,
    lastSeen: Math.max(hb?.createdAt ?? 0, cap.createdAt),
    live: isAvailable({ capability: cap, heartbeat: hb }, now, model),
    capability: cap,
    capabilityEvent: entry.capability.event,
    heartbeat: hb,
    heartbeatEvent: entry.heartbeat?.event,
  }
}

export function summarizeModels(nodes: MarketNode[]): MarketModel[] {
  const byModel = new Map<string, MarketModel>()
  for (const node of nodes) {
    if (!node.live) continue
    for (const id of node.models) {
      if (node.heartbeat && !node.heartbeat.models.includes(id)) continue
      const price = priceFor(node, id)
      const m = byModel.get(id) ?? { id, nodes: 0, minPrice: price, maxTps: null, freeSlots: 0, digests: [] }
      m.nodes++
      const digest = node.capability.models.find((x) => x.id === id)?.digest
      if (digest && !m.digests.includes(digest)) m.digests = [...m.digests, digest].sort()
      if (BigInt(price.output) < BigInt(m.minPrice.output) || (price.output === m.minPrice.output && BigInt(price.input) < BigInt(m.minPrice.input))) m.minPrice = price
      if (node.tps !== null && (m.maxTps === null || node.tps > m.maxTps)) m.maxTps = node.tps
      m.freeSlots += node.heartbeat?.slots.free ?? 0
      byModel.set(id, m)
    }
  }
  return [...byModel.values()].sort((a, b) => b.nodes - a.nodes || a.id.localeCompare(b.id))
}

export type MarketParameters = {
  pool: RelayPool
  clock: () => number
  /** The client's event verifier, asked per event: the client swaps in libsecp256k1 once it has loaded. */
  verifier?: (() => EventVerifier) | undefined
  /** Auditors whose verdicts (kind 3835) this client counts: a node failing their audits on a model is no candidate for it. */
  trustedAuditors?: readonly string[] | undefined
}

/** Live market fed by one relay subscription to every capability and heartbeat. */
export class Market {
  readonly entries = new Map<string, NodeEntry>()
  #sub: Subscription | undefined
  #loaded: Promise<void> | undefined
  readonly #pool: RelayPool
  readonly #clock: () => number
  readonly #verifier: (() => EventVerifier) | undefined
  readonly #trusted: ReadonlySet<string>
  /** Trusted verdicts by node (id-keyed: relays send the same event more than once). */
  readonly #verdicts = new Map<string, Map<string, AuditVerdict>>()

  constructor({ pool, clock, verifier, trustedAuditors = [] }: MarketParameters) {
    this.#pool = pool
    this.#clock = clock
    this.#verifier = verifier
    this.#trusted = new Set(trustedAuditors)
  }

  #now(): number {
    return Math.floor(this.#clock() / 1000)
  }

  /** Applies one event; returns true when it changed the market (valid and newer than what we had). */
  apply(event: NostrEvent): boolean {
    const now = this.#now()
    if (event.kind === kinds.Capability) {
      const parsed = parseCapability(event, { now, verify: this.#verifier?.() })
      if (!parsed.ok) return false
      const entry = this.entries.get(event.pubkey) ?? {}
      if (entry.capability && entry.capability.data.createdAt > parsed.data.createdAt) return false
      entry.capability = { data: parsed.data, event }
      this.entries.set(event.pubkey, entry)
      return true
    }
    if (event.kind === kinds.Heartbeat) {
      const parsed = parseHeartbeat(event, { now, verify: this.#verifier?.() })
      if (!parsed.ok) return false
      const entry = this.entries.get(event.pubkey) ?? {}
      if (entry.heartbeat && entry.heartbeat.data.createdAt > parsed.data.createdAt) return false
      entry.heartbeat = { data: parsed.data, event }
      this.entries.set(event.pubkey, entry)
      return true
    }
    if (event.kind === kinds.AuditVerdict && this.#trusted.has(event.pubkey)) {
      const parsed = parseAuditVerdict(event, { now, verify: this.#verifier?.() })
      if (!parsed.ok) return false
      const list = this.#verdicts.get(parsed.data.node) ?? new Map<string, AuditVerdict>()
      if (list.has(event.id)) return false
      list.set(event.id, parsed.data)
      this.#verdicts.set(parsed.data.node, list)
      return true
    }
    return false
  }

  /** Subscribes once; resolves at the first EOSE from every connected relay or after `timeoutMs`. */
  load({ timeoutMs = 5000 }: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#loaded) return this.#loaded
    this.#loaded = new Promise<void>((resolve) => {
      const pending = new Set(this.#pool.status().filter((r) => r.connected).map((r) => r.url))
      const timer = setTimeout(resolve, timeoutMs)
      const done = (relay: string) => {
        pending.delete(relay)
        if (pending.size === 0) {
          clearTimeout(timer)
          resolve()
        }
      }
      const since = this.#now() - reputationWindowSeconds
      const verdicts: Filter[] = this.#trusted.size ? [{ kinds: [kinds.AuditVerdict], authors: [...this.#trusted], since }] : []
      this.#sub = this.#pool.subscribe([{ kinds: [kinds.Capability, kinds.Heartbeat] }, ...verdicts], {
        onEvent: (event) => void this.apply(event),
        onEose: done,
        onClosed: done,
        // A heartbeat replaces the previous one; the same id twice is harmless, and reconnects re-send.
        dedupe: false,
      })
      if (pending.size === 0) {
        clearTimeout(timer)
        resolve()
      }
    })
    return this.#loaded
  }

  nodes({ model, liveOnly = false }: { model?: string | undefined; liveOnly?: boolean | undefined } = {}): MarketNode[] {
    const now = this.#now()
    const out: MarketNode[] = []
    for (const entry of this.entries.values()) {
      if (!entry.capability) continue
      if (entry.capability.data.expiresAt <= now) continue
      const node = toMarketNode(entry as NodeEntry & { capability: NonNullable<NodeEntry['capability']> }, now, model)
      const verdicts = this.#verdicts.get(node.pubkey)
      if (verdicts) node.auditFailed = failedModels([...verdicts.values()], this.#trusted)
      if (model !== undefined && !node.models.includes(model)) continue
      if (liveOnly && !node.live) continue
      out.push(node)
    }
    return out.sort((a, b) => Number(b.live) - Number(a.live) || b.lastSeen - a.lastSeen)
  }

  close(): void {
    this.#sub?.close()
  }
}
