// Prometheus text exposition for GET /metrics.
import type { RelayPool } from '../net/relayPool.ts'
import type { Indexer } from './indexer.ts'
import type { MarketIndex } from './marketIndex.ts'

export type HttpCounters = Map<string, number>

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

export function renderMetrics({ market, indexer, pool, http, now }: { market: MarketIndex; indexer: Indexer; pool: RelayPool | undefined; http: HttpCounters; now: number }): string {
  const lines: string[] = []
  const metric = (name: string, type: string, help: string, samples: [Record<string, string>, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
    for (const [labels, value] of samples) {
      const l = Object.entries(labels).map(([k, v]) => `${k}="${esc(v)}"`).join(',')
      lines.push(`${name}${l ? `{${l}}` : ''} ${value}`)
    }
  }
  let live = 0
  for (const _ of market.liveNodes(now)) live++
  const models = market.models(now)
  const rates = indexer.rates()
  metric('infernet_coordinator_nodes', 'gauge', 'Nodes known (any state)', [[{}, market.nodes.size]])
  metric('infernet_coordinator_live_nodes', 'gauge', 'Live nodes: fresh heartbeat, healthy backend (nips/routing.md)', [[{}, live]])
  metric('infernet_coordinator_model_nodes', 'gauge', 'Live nodes serving each model', models.map((m) => [{ model: m.id }, m.nodes]))
  metric('infernet_coordinator_model_free_slots', 'gauge', 'Free slots per model', models.map((m) => [{ model: m.id }, m.freeSlots]))
  metric('infernet_coordinator_events_received_total', 'counter', 'Events received from relays', [[{}, indexer.counters.received]])
  metric('infernet_coordinator_events_duplicate_total', 'counter', 'Events dropped as already seen', [[{}, indexer.counters.duplicates]])
  metric('infernet_coordinator_events_indexed_total', 'counter', 'Events indexed, by type', Object.entries(indexer.counters.indexed).map(([k, v]) => [{ type: k }, v]))
  metric(
    'infernet_coordinator_events_rejected_total',
    'counter',
    'Events dropped at validation, by kind and reason code',
    Object.entries(indexer.counters.rejected).map(([k, v]) => {
      const [kind, code] = k.split(':')
      return [{ kind: kind!, code: code! }, v]
    }),
  )
  metric('infernet_coordinator_jobs_per_second', 'gauge', 'Successful jobs per second (last minute)', [[{}, rates.jobsPerSecond]])
  metric('infernet_coordinator_tokens_per_second', 'gauge', 'Completion tokens per second (last minute)', [[{}, rates.tokensPerSecond]])
  metric('infernet_coordinator_failures_per_minute', 'gauge', 'Node-side job failures (last minute)', [[{}, rates.failuresPerMinute]])
  metric('infernet_coordinator_relays_connected', 'gauge', 'Relays connected', [[{}, pool?.connectedCount() ?? 0]])
  metric(
    'infernet_coordinator_http_requests_total',
    'counter',
    'HTTP requests by route group and status',
    [...http.entries()].map(([k, v]) => {
      const [route, status] = k.split(' ')
      return [{ route: route!, status: status! }, v]
    }),
  )
  metric('infernet_coordinator_rss_bytes', 'gauge', 'Resident set size', [[{}, process.memoryUsage().rss]])
  return lines.join('\n') + '\n'
}
