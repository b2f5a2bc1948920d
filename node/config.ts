// Every setting of the node agent (`infernet setup`, `infernet start`): key, environment variable, default and
// description. Only this module and the CLI entry read the environment. Settings live in
// `$INFERNET_HOME/node.json` (written by `infernet setup`); precedence: defaults < node.json < env < flags.
import { join } from 'node:path'
import { commonSchema } from '../src/config/common.ts'
import { ConfigError, key, loadConfig, parsers, type ConfigValues, type LoadConfigOptions } from '../src/config/load.ts'
import { modelFeatures, type ModelFeature } from '../src/protocol/features.ts'
import type { Price } from '../src/protocol/schema.ts'
import { defaultHeartbeatIntervalSeconds } from '../src/protocol/heartbeat.ts'
import { defaultMaxOutputTokens } from '../src/protocol/worstCase.ts'
import { backendKinds, type BackendKind } from './backends/types.ts'

const backendKind = (raw: unknown): BackendKind => {
  const s = String(raw).trim().toLowerCase()
  if (!(backendKinds as readonly string[]).includes(s)) throw new Error(`expected one of ${backendKinds.join(', ')}, got "${s}"`)
  return s as BackendKind
}
const amountString = (raw: unknown): string => parsers.bigint(raw).toString()
const positiveInt = (raw: unknown): number => {
  const n = parsers.int(raw)
  if (n < 1) throw new Error(`expected a positive integer, got ${n}`)
  return n
}
const nonNegativeInt = (raw: unknown): number => {
  const n = parsers.int(raw)
  if (n < 0) throw new Error(`expected a non-negative integer, got ${n}`)
  return n
}
/** An http(s) base URL without its trailing slashes, or empty. */
export const optionalUrl = (raw: unknown): string => {
  const s = String(raw ?? '').trim()
  if (s === '') return ''
  let u: URL
  try {
    u = new URL(s)
  } catch {
    throw new Error(`"${s}" is not a URL (for example http://127.0.0.1:11434)`)
  }
  if (!['http:', 'https:'].includes(u.protocol)) throw new Error(`expected an http(s):// URL, got "${s}"`)
  return s.replace(/\/+$/, '')
}

const urlList = (raw: unknown): string[] => parsers.list(raw).map(optionalUrl).filter(Boolean)
const featureListParser = (raw: unknown): ModelFeature[] =>
  parsers.list(raw).map((s) => {
    const f = s.trim().toLowerCase()
    if (!(modelFeatures as readonly string[]).includes(f)) throw new Error(`expected features among ${modelFeatures.join(', ')}, got "${f}"`)
    return f as ModelFeature
  })

export const nodeSchema = {
  relays: commonSchema.relays,
  logLevel: commonSchema.logLevel,
  backend: key('INFERNET_BACKEND', 'ollama' as BackendKind, `Inference backend: ${backendKinds.join(', ')}`, backendKind),
  backendUrl: key('INFERNET_BACKEND_URL', '', 'Backend base URL (empty = the backend\'s default local port)', parsers.string),
  backendTimeoutMs: key('INFERNET_BACKEND_TIMEOUT_MS', 60_000, 'Longest wait for the backend\'s first byte and between chunks, in ms', positiveInt),
  models: key('INFERNET_MODELS', [] as string[], 'Models to serve (comma-separated; empty = every model the backend lists)', parsers.list),
  priceIn: key('INFERNET_PRICE_IN', '0', 'Price per million input tokens, in base units of the payment token (0 = free)', amountString),
  priceOut: key('INFERNET_PRICE_OUT', '0', 'Price per million output tokens, in base units of the payment token (0 = free)', amountString),
  host: key('INFERNET_NODE_HOST', '127.0.0.1', 'Address the stream endpoint binds', parsers.string),
  port: key('INFERNET_NODE_PORT', 8790, 'TCP port of the stream endpoint (0 = any free port)', parsers.port),
  publicUrl: key('INFERNET_PUBLIC_URL', '', 'Public http(s):// base URL of the stream endpoint announced in the capability (empty = the local URL)', optionalUrl),
  authUrls: key(
    'INFERNET_AUTH_URLS',
    [] as string[],
    'More base URLs clients may reach the stream endpoint at (other names of a proxy in front of it), comma-separated: auth events must bind the announced URL (INFERNET_PUBLIC_URL, else the local one) or one of these, never the Host header',
    urlList,
  ),
  authRatePerConnection: key('INFERNET_AUTH_RATE_PER_CONNECTION', 5, 'Auth events (WS auth frames, job frames with their own auth, SSE requests) one connection may send per second, in bursts of up to 4x; 0 = no limit', nonNegativeInt),
  authRatePerAddress: key(
    'INFERNET_AUTH_RATE_PER_ADDRESS',
    10,
    'Auth events one client address (IPv6: one /64) may send per second over all its connections, in bursts of up to 5x; behind a proxy all its clients share its address; 0 = no limit',
    nonNegativeInt,
  ),
  authMaxPerKey: key('INFERNET_AUTH_MAX_PER_KEY', 256, 'Auth events of one pubkey the replay guard holds at once (each for up to 46 s); more from that key are refused (rate-limited, with when to retry) until older ones expire', positiveInt),
  authMaxEntries: key('INFERNET_AUTH_MAX_ENTRIES', 100_000, 'Auth events the replay guard holds in all; when full, new ones are refused (rate-limited, with when to retry) until older ones expire', positiveInt),
  statusToken: key('INFERNET_STATUS_TOKEN', '', 'Bearer token GET /status answers to (empty = a random one per start, kept in the pid file, which `infernet status` reads)', parsers.string, true),
  announceStream: key('INFERNET_ANNOUNCE_STREAM', true, 'Announce a stream URL (false = stream null: clients use the relay transport)', parsers.bool),
  maxConcurrency: key('INFERNET_MAX_CONCURRENCY', 4, 'Jobs run at once (slots)', positiveInt),
  maxQueue: key('INFERNET_MAX_QUEUE', 16, 'Jobs waiting for a slot before new ones are refused with "busy"', nonNegativeInt),
  maxPromptBytes: key('INFERNET_MAX_PROMPT_BYTES', 128 * 1024, 'Largest prompt (UTF-8 bytes of all messages) accepted', positiveInt),
  jobTimeoutMs: key('INFERNET_JOB_TIMEOUT_MS', 10 * 60_000, 'Longest a job may run before it is stopped with a backend error', positiveInt),
  heartbeatInterval: key('INFERNET_HEARTBEAT_INTERVAL', defaultHeartbeatIntervalSeconds, 'Seconds between heartbeats', positiveInt),
  capabilityTtl: key('INFERNET_CAPABILITY_TTL', 3600, 'Lifetime of the capability event in seconds (republished at half)', positiveInt),
  streamFlushMs: key('INFERNET_STREAM_FLUSH_MS', 16, 'Direct channel: batch output tokens into one chunk frame per this many ms (the first token is always sent at once; 0 = no wait)', nonNegativeInt),
  relayChunkMs: key('INFERNET_RELAY_CHUNK_MS', 50, 'Relay transport: batch output into one chunk event per this many ms', positiveInt),
  creditLimit: key('INFERNET_CREDIT_LIMIT', '0', 'Priced nodes: most one payer may owe beyond its receipts (token base units), jobs in flight counted at their worst case and capped by its unspent deposit; 0 = serve only what prepaid receipts cover', amountString),
  newClientCredit: key('INFERNET_NEW_CLIENT_CREDIT', '', 'Priced nodes: most all clients without an accepted receipt may owe together, in flight included (empty = the credit limit)', (raw: unknown) => (String(raw ?? '').trim() === '' ? '' : amountString(raw))),
  withdrawalPollMs: key('INFERNET_WITHDRAWAL_POLL_MS', 2000, 'Priced nodes: how often the chain is asked for withdrawal requests by our payers, in ms (each is answered by redeeming that payer\'s newest receipt at once)', positiveInt),
  maxOutputTokens: key('INFERNET_MAX_OUTPUT_TOKENS', defaultMaxOutputTokens, 'Priced nodes: max_tokens given to a job that names none, so its worst-case cost is known', positiveInt),
  payoutAddress: key('INFERNET_PAYOUT_ADDRESS', '', 'Priced nodes: address receipts must pay (empty = the node key\'s own address)', parsers.string),
  payeeProof: key('INFERNET_PAYEE_PROOF', '', 'EIP-191 signature by the payout address over infernet:payee:<pubkey> (needed when it is not the node key\'s)', parsers.string),
  features: key(
    'INFERNET_FEATURES',
    [] as ModelFeature[],
    `Features every served model is announced with beyond what the engine reports, comma-separated (${modelFeatures.filter((f) => f !== 'chat').join(', ')}): for what an engine cannot tell the node, such as vLLM started with a tool-call parser or a vision model on vLLM, SGLang or MAX. Announce only what the engine really serves: clients send those requests here`,
    featureListParser,
  ),
  name: key('INFERNET_NODE_NAME', '', 'Display name in the capability event', parsers.string),
  region: key('INFERNET_REGION', '', 'Region hint in the capability event (e.g. eu-west)', parsers.string),
}

export type NodeConfig = ConfigValues<typeof nodeSchema>

/** Every default, for tests and callers that build a config in code. */
export function defaultNodeConfig(overrides: Partial<NodeConfig> = {}): NodeConfig {
  const values = Object.fromEntries(Object.entries(nodeSchema).map(([k, spec]) => [k, spec.default])) as NodeConfig
  return { ...values, ...overrides }
}

export function nodeConfigPath(home: string): string {
  return join(home, 'node.json')
}

/** Where the daemon keeps its state: dedupe database, pid file, log file. */
export function nodeDataDir(home: string): string {
  return join(home, 'node')
}
export function pidFilePath(home: string): string {
  return join(nodeDataDir(home), 'node.pid')
}
export function logFilePath(home: string): string {
  return join(nodeDataDir(home), 'node.log')
}

export function loadNodeConfig(home: string, options: Omit<LoadConfigOptions, 'file'> = {}): NodeConfig {
  return loadConfig(nodeSchema, { ...options, file: nodeConfigPath(home) }).values
}

export function nodePrice(config: Pick<NodeConfig, 'priceIn' | 'priceOut'>): Price {
  return { input: config.priceIn, output: config.priceOut }
}

/** "IN,OUT" -> price; throws ConfigError on anything else. */
export function parsePriceFlag(value: string): { priceIn: string; priceOut: string } {
  const parts = value.split(',').map((s) => s.trim())
  if (parts.length !== 2) throw new ConfigError('price', '--price', `expected IN,OUT (per million tokens), got "${value}"`)
  try {
    return { priceIn: amountString(parts[0]), priceOut: amountString(parts[1]) }
  } catch (err) {
    throw new ConfigError('price', '--price', (err as Error).message)
  }
}
