// Every setting of `infernet coordinator`: key, environment variable, default and description. Only this module
// and the CLI entry read the environment or flags.
import { key, loadConfig, parsers, type ConfigValues, type LoadConfigOptions } from '../config/load.ts'
import { parsePublicKey } from '../keys/identity.ts'
import { parseAuditReferences } from './auditSchedule.ts'

const pubkeyList = (raw: unknown): string[] => parsers.list(raw).map(parsePublicKey)

export const coordinatorSchema = {
  trustedAuditors: key('INFERNET_TRUSTED_AUDITORS', [] as string[], 'Auditor keys (npub or hex, comma-separated) whose audit verdicts count in reputation; the coordinator\'s own key always does', pubkeyList),
  auditReferences: key(
    'INFERNET_AUDIT_REFERENCES',
    [] as string[],
    'Reference engines for the built-in auditor, <digest>=<OpenAI-compatible URL> comma-separated; each live node announcing such a digest is audited (empty = no audits)',
    (raw: unknown) => {
      const entries = parsers.list(raw)
      parseAuditReferences(entries)
      return entries
    },
  ),
  auditEvery: key('INFERNET_AUDIT_EVERY', 20, 'Auditor: audit a node again after this many of its jobs (about 1 audit job per this many + 1)', parsers.int),
  auditIntervalSeconds: key('INFERNET_AUDIT_INTERVAL', 3600, 'Auditor: audit a node again after this many seconds however few jobs it served', parsers.int),
  host: key('INFERNET_COORDINATOR_HOST', '127.0.0.1', 'Address to bind (another host requires API keys)', parsers.string),
  port: key('INFERNET_COORDINATOR_PORT', 8787, 'TCP port (0 = any free port)', parsers.port),
  db: key('INFERNET_COORDINATOR_DB', '', 'SQLite cache file (empty = <home>/coordinator.db; ":memory:" = no file)', parsers.string),
  apiKeys: key('INFERNET_COORDINATOR_API_KEYS', [] as string[], 'API keys accepted by the gateway (comma-separated; no budget, no rate limit)', parsers.list, true),
  apiKeyFile: key('INFERNET_COORDINATOR_API_KEY_FILE', '', 'File of gateway API keys, one per line (a Docker or Kubernetes secret; no budget, no rate limit)', parsers.string),
  keysFile: key('INFERNET_COORDINATOR_KEYS_FILE', '', 'JSON file [{ key, name, budget, ratePerMinute }] of gateway API keys', parsers.string),
  logLevel: key('INFERNET_COORDINATOR_LOG_LEVEL', 'info', 'Log level: debug, info, warn, error, silent', parsers.string),
  flushMs: key('INFERNET_COORDINATOR_FLUSH_MS', 50, 'Milliseconds between index write batches (one SQLite transaction each)', parsers.int),
  statsWindowSeconds: key('INFERNET_COORDINATOR_STATS_WINDOW', 7 * 24 * 3600, 'Backfill job results/statuses/receipts this far back on start', parsers.int),
  maxBodyBytes: key('INFERNET_COORDINATOR_MAX_BODY', 1024 * 1024, 'Largest HTTP request body, in bytes (413 beyond)', parsers.int),
  maxJsonDepth: key('INFERNET_COORDINATOR_MAX_JSON_DEPTH', 64, 'Deepest nesting of arrays and objects in a request body (400 json_too_deep beyond)', parsers.int),
  maxStreams: key('INFERNET_COORDINATOR_MAX_STREAMS', 1024, 'Most job streams (GET /api/v1/jobs/:id/stream) open at once (429 too_many_streams beyond)', parsers.int),
  maxStreamsPerKey: key('INFERNET_COORDINATOR_MAX_STREAMS_PER_KEY', 32, 'Most job streams one API key holds open at once', parsers.int),
  topK: key('INFERNET_COORDINATOR_TOP_K', 4, 'Routing spreads load by weighted random choice among this many best nodes', parsers.int),
  gatewayCandidates: key('INFERNET_COORDINATOR_GATEWAY_CANDIDATES', 3, 'Gateway: how many of the best nodes the client SDK gets per request (it re-verifies each one; more = wider failover, slower start)', parsers.int),
  acceptTimeoutMs: key('INFERNET_COORDINATOR_ACCEPT_TIMEOUT_MS', 5000, 'Gateway: fail over when a node does not accept a job within this time', parsers.int),
  maxPriceInput: key('INFERNET_COORDINATOR_MAX_PRICE_IN', '', 'Gateway: the most it bids per million input tokens (base units; empty = no limit)', parsers.string),
  maxPriceOutput: key('INFERNET_COORDINATOR_MAX_PRICE_OUT', '', 'Gateway: the most it bids per million output tokens (base units; empty = no limit)', parsers.string),
  gatewayDefaultMaxTokens: key('INFERNET_COORDINATOR_DEFAULT_MAX_TOKENS', 4096, 'Gateway: max_tokens given to requests without one from API keys with a budget (their worst case is held against it)', parsers.int),
  gatewayRemoteImages: key(
    'INFERNET_GATEWAY_REMOTE_IMAGES',
    'public' as 'public' | 'off' | 'any',
    'Gateway: fetch http(s) image URLs and send them inline (public = public addresses only; off = refuse them; any = private networks too)',
    (raw: unknown) => {
      const v = parsers.string(raw)
      if (v !== 'public' && v !== 'off' && v !== 'any') throw new Error(`INFERNET_GATEWAY_REMOTE_IMAGES must be public, off or any (got ${v})`)
      return v
    },
  ),
  gateway: key('INFERNET_COORDINATOR_GATEWAY', true, 'Serve the OpenAI-compatible gateway under /v1', parsers.bool),
  gatewayBudgetPerNode: key('INFERNET_GATEWAY_BUDGET', 10n ** 18n, 'Gateway: most it owes one node per channel epoch, base units (receipts never exceed it; needs INFERNET_SETTLEMENT_ADDRESS)', parsers.bigint),
}

export type CoordinatorConfig = ConfigValues<typeof coordinatorSchema>

export function defaultCoordinatorConfig(): CoordinatorConfig {
  return Object.fromEntries(Object.entries(coordinatorSchema).map(([k, spec]) => [k, spec.default])) as CoordinatorConfig
}

export function resolveCoordinatorConfig(partial: Partial<CoordinatorConfig> = {}): CoordinatorConfig {
  const config = defaultCoordinatorConfig()
  for (const [k, v] of Object.entries(partial)) if (v !== undefined) (config as Record<string, unknown>)[k] = v
  return config
}

export function loadCoordinatorConfig(options: LoadConfigOptions = {}): CoordinatorConfig {
  return loadConfig(coordinatorSchema, options).values
}
