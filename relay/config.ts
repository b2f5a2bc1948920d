// Every setting of `infernet relay`: key, environment variable, default and description. Only this module and
// the CLI entry read the environment. Limits here are announced in the NIP-11 document.
import { key, loadConfig, parsers, type ConfigValues, type LoadConfigOptions } from '../src/config/load.ts'

const intList = (raw: unknown): number[] =>
  parsers.list(raw).map((v) => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < 0) throw new Error(`expected a list of kinds, got "${v}"`)
    return n
  })

export const relaySchema = {
  host: key('INFERNET_RELAY_HOST', '127.0.0.1', 'Address to bind', parsers.string),
  port: key('INFERNET_RELAY_PORT', 7777, 'TCP port (0 = any free port)', parsers.port),
  db: key('INFERNET_RELAY_DB', '', 'SQLite database file (empty = in-memory store, nothing survives a restart)', parsers.string),
  logLevel: key('INFERNET_RELAY_LOG_LEVEL', 'info', 'Log level: debug, info, warn, error, silent', parsers.string),
  name: key('INFERNET_RELAY_NAME', 'infernet-relay', 'NIP-11 name', parsers.string),
  description: key('INFERNET_RELAY_DESCRIPTION', 'Infernet self-hosted Nostr relay', 'NIP-11 description', parsers.string),
  contact: key('INFERNET_RELAY_CONTACT', '', 'NIP-11 contact', parsers.string),
  relayUrl: key('INFERNET_RELAY_URL', '', 'Public ws(s):// URL of this relay, checked in NIP-42 AUTH events (empty = accept the Host header)', parsers.string),
  maxMessageBytes: key('INFERNET_RELAY_MAX_MESSAGE_BYTES', 512 * 1024, 'Largest WebSocket message accepted, in bytes', parsers.int),
  maxSubscriptions: key('INFERNET_RELAY_MAX_SUBSCRIPTIONS', 64, 'Open subscriptions per connection', parsers.int),
  maxFilters: key('INFERNET_RELAY_MAX_FILTERS', 16, 'Filters per REQ or COUNT', parsers.int),
  maxLimit: key('INFERNET_RELAY_MAX_LIMIT', 5000, 'Largest limit honoured per filter (larger limits are clamped)', parsers.int),
  defaultLimit: key('INFERNET_RELAY_DEFAULT_LIMIT', 500, 'Limit applied to a filter that has none', parsers.int),
  maxSubIdLength: key('INFERNET_RELAY_MAX_SUBID_LENGTH', 64, 'Longest subscription id', parsers.int),
  maxEventTags: key('INFERNET_RELAY_MAX_EVENT_TAGS', 2000, 'Most tags per event', parsers.int),
  maxContentLength: key('INFERNET_RELAY_MAX_CONTENT_LENGTH', 256 * 1024, 'Longest event content, in UTF-16 code units', parsers.int),
  createdAtPastSeconds: key('INFERNET_RELAY_CREATED_AT_PAST', 0, 'Reject events older than this many seconds (0 = no lower bound)', parsers.int),
  createdAtFutureSeconds: key('INFERNET_RELAY_CREATED_AT_FUTURE', 900, 'Reject events dated more than this many seconds ahead', parsers.int),
  eventsPerSecondPerConnection: key('INFERNET_RELAY_EVENT_RATE_CONN', 200, 'Events per second per connection (token bucket; 0 = unlimited)', parsers.number),
  eventBurstPerConnection: key('INFERNET_RELAY_EVENT_BURST_CONN', 1000, 'Burst size of the per-connection event bucket', parsers.number),
  eventsPerSecondPerIp: key('INFERNET_RELAY_EVENT_RATE_IP', 1000, 'Events per second per client IP (0 = unlimited)', parsers.number),
  eventBurstPerIp: key('INFERNET_RELAY_EVENT_BURST_IP', 5000, 'Burst size of the per-IP event bucket', parsers.number),
  reqsPerSecondPerConnection: key('INFERNET_RELAY_REQ_RATE_CONN', 50, 'REQ/COUNT messages per second per connection (0 = unlimited)', parsers.number),
  reqBurstPerConnection: key('INFERNET_RELAY_REQ_BURST_CONN', 200, 'Burst size of the per-connection REQ bucket', parsers.number),
  maxConnectionsPerIp: key('INFERNET_RELAY_MAX_CONN_IP', 100, 'Open connections per client IP; the next one is refused with a rate-limited: NOTICE (0 = unlimited)', parsers.int),
  trustedProxies: key(
    'INFERNET_RELAY_TRUSTED_PROXIES',
    ['127.0.0.1', '::1', '::ffff:127.0.0.1'],
    'Reverse proxies (comma-separated addresses) whose X-Forwarded-For names the client: the per-IP limits count that client, not the proxy',
    parsers.list,
  ),
  minPowDifficulty: key('INFERNET_RELAY_MIN_POW', 0, 'NIP-13 minimum leading zero bits of event ids (0 = off)', parsers.int),
  authRequiredToWrite: key('INFERNET_RELAY_AUTH_WRITE', false, 'NIP-42: only authenticated connections may publish', parsers.bool),
  authRequiredKinds: key('INFERNET_RELAY_AUTH_READ_KINDS', [] as number[], 'NIP-42: kinds only authenticated connections may read (comma-separated)', intList),
  blockedPubkeys: key('INFERNET_RELAY_BLOCKED_PUBKEYS', [] as string[], 'Authors whose events are refused (blocked:)', parsers.list),
  shadowBlockedPubkeys: key('INFERNET_RELAY_SHADOW_PUBKEYS', [] as string[], 'Authors whose events are acknowledged but dropped (shadow reject)', parsers.list),
  maxPendingPerConnection: key('INFERNET_RELAY_MAX_PENDING_CONN', 2000, 'Unanswered messages per connection before the relay stops reading from it', parsers.int),
  maxBufferedBytes: key('INFERNET_RELAY_MAX_BUFFERED_BYTES', 8 * 1024 * 1024, 'Cut off a client whose unsent output exceeds this many bytes', parsers.int),
  expirationPurgeSeconds: key('INFERNET_RELAY_PURGE_INTERVAL', 60, 'Seconds between purges of NIP-40 expired events', parsers.int),
  verifyThreads: key('INFERNET_RELAY_VERIFY_THREADS', -1, 'Worker threads for signature checks (-1 = cores minus 2, at most 6, none below 4 cores; 0 = main thread)', parsers.int),
  writeBatchMax: key('INFERNET_RELAY_WRITE_BATCH', 2000, 'Most events committed in one SQLite transaction', parsers.int),
}

export type RelayConfig = ConfigValues<typeof relaySchema>

/** Every key at its default. */
export function defaultRelayConfig(): RelayConfig {
  return Object.fromEntries(Object.entries(relaySchema).map(([k, spec]) => [k, spec.default])) as RelayConfig
}

export function resolveRelayConfig(partial: Partial<RelayConfig> = {}): RelayConfig {
  const config = defaultRelayConfig()
  for (const [k, v] of Object.entries(partial)) if (v !== undefined) (config as Record<string, unknown>)[k] = v
  return config
}

export function loadRelayConfig(options: LoadConfigOptions = {}): RelayConfig {
  return loadConfig(relaySchema, options).values
}
