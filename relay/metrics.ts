// Counters of the relay and their Prometheus text rendering.
export type RelayMetrics = {
  connectionsOpen: number
  connectionsTotal: number
  connectionsRefused: number
  slowConsumersCut: number
  eventsReceived: number
  eventsSaved: number
  eventsEphemeral: number
  eventsSent: number
  reqs: number
  rejects: Map<string, number>
}

export function createMetrics(): RelayMetrics {
  return {
    connectionsOpen: 0,
    connectionsTotal: 0,
    connectionsRefused: 0,
    slowConsumersCut: 0,
    eventsReceived: 0,
    eventsSaved: 0,
    eventsEphemeral: 0,
    eventsSent: 0,
    reqs: 0,
    rejects: new Map(),
  }
}

/** Counts a rejection under its NIP-01 prefix (`invalid`, `rate-limited`, ...). */
export function countReject(metrics: RelayMetrics, reason: string): void {
  const colon = reason.indexOf(':')
  const prefix = colon > 0 && colon < 20 ? reason.slice(0, colon) : 'other'
  metrics.rejects.set(prefix, (metrics.rejects.get(prefix) ?? 0) + 1)
}

export function renderMetrics(metrics: RelayMetrics, storage: { events: number; bytes: number }, subscriptions: number): string {
  const lines: string[] = []
  const metric = (name: string, type: 'counter' | 'gauge', help: string, values: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
    for (const [labels, v] of values) lines.push(`${name}${labels} ${v}`)
  }
  metric('relay_connections_open', 'gauge', 'Open WebSocket connections', [['', metrics.connectionsOpen]])
  metric('relay_connections_total', 'counter', 'WebSocket connections accepted', [['', metrics.connectionsTotal]])
  metric('relay_connections_refused_total', 'counter', 'WebSocket connections refused by policy', [['', metrics.connectionsRefused]])
  metric('relay_slow_consumers_cut_total', 'counter', 'Connections closed because their send buffer overflowed', [['', metrics.slowConsumersCut]])
  metric('relay_subscriptions_open', 'gauge', 'Open subscriptions', [['', subscriptions]])
  metric('relay_events_received_total', 'counter', 'EVENT messages received', [['', metrics.eventsReceived]])
  metric('relay_events_saved_total', 'counter', 'Events committed to storage', [['', metrics.eventsSaved]])
  metric('relay_events_ephemeral_total', 'counter', 'Ephemeral events forwarded', [['', metrics.eventsEphemeral]])
  metric('relay_events_sent_total', 'counter', 'EVENT messages sent to subscribers', [['', metrics.eventsSent]])
  metric('relay_reqs_total', 'counter', 'REQ and COUNT messages accepted', [['', metrics.reqs]])
  metric('relay_rejects_total', 'counter', 'Rejected events and requests by NIP-01 prefix', [...metrics.rejects].map(([k, v]) => [`{reason="${k}"}`, v] as [string, number]))
  metric('relay_storage_events', 'gauge', 'Events in storage', [['', storage.events]])
  metric('relay_storage_bytes', 'gauge', 'Storage size in bytes', [['', storage.bytes]])
  return lines.join('\n') + '\n'
}
