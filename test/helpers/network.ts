// The whole network as real processes on loopback, for the end-to-end suite (test/e2e) and bench/network:
// our relay (spawned `infernet relay`, SQLite), the third-party relay (@nostr-relay/core, in-process, SQLite),
// node agents (spawned `infernet start`, one fake backend each, in-process), coordinators (spawned
// `infernet coordinator`). Every spawned process's stderr is captured (for the "no prompt in logs" checks) and
// every process can be killed and restarted with the same home / database. Fake backends count the chat
// requests per prompt marker (a `M-<hex>` word in a user message), so a test can prove no job ran twice.
//
//   const net = await startTestNetwork({ nodes: [{ name: 'fast' }, { name: 'slow', ttftMs: 800 }] })
//   t.after(() => net.close())
//   const client = net.client({ coordinator: net.coordinators[0]!.url })
//   net.backendCalls(marker) -> number of chat requests the fakes saw for that marker
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { InfernetClient } from '../../client/client.ts'
import type { BackendKind } from '../../node/backends/types.ts'
import { spawnCoordinatorProcess, tempDir, type SpawnedCoordinator } from './coordinator.ts'
import { createTestClient, type CreateTestClientParameters } from './client.ts'
import { startFakeOllama } from './fakeBackends/ollama.ts'
import { startFakeOpenAI } from './fakeBackends/openai.ts'
import type { FakeBackendServer } from './fakeBackends/pacer.ts'
import { spawnNodeProcess, type SpawnedNode } from './node.ts'
import { spawnRelayProcess, type SpawnedRelay } from './relay.ts'
import { spawnScriptProcess, thirdPartyRelayScript } from './scriptProcess.ts'
import { reapChildrenOnExit } from './reapOnExit.ts'
import { startThirdPartyRelay } from './thirdPartyRelay.ts'
import { scaled } from './timeScale.ts'

export const model = 'llama3'

export type NodeSpec = {
  name: string
  /** Fake backend flavour; default 'ollama'. */
  backend?: 'ollama' | 'vllm' | undefined
  ttftMs?: number | undefined
  tokensPerSecond?: number | undefined
  /** Per million tokens; default free. */
  price?: { input: string; output: string } | undefined
  /** What the backend answers; default a fixed sentence. */
  reply?: string | undefined
  env?: Record<string, string> | undefined
  args?: string[] | undefined
}

export type NetworkNode = {
  spec: NodeSpec
  home: string
  backend: FakeBackendServer
  pubkey: string
  streamUrl: string
  process: SpawnedNode
  /** Everything the process wrote to stderr since it was (re)started, across restarts. */
  logs(): string
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Starts it again with the same home (same key, same dedupe database, same wallet). */
  restart(): Promise<void>
  alive(): boolean
}

export type NetworkCoordinator = {
  url: string
  home: string
  dbPath: string
  process: SpawnedCoordinator
  logs(): string
  kill(signal?: NodeJS.Signals): Promise<void>
  restart(): Promise<void>
}

export type StartTestNetworkOptions = {
  nodes: NodeSpec[]
  /** Spawned coordinators; default 2. */
  coordinators?: number | undefined
  /** Extra env for every node and coordinator (e.g. the chain settings). */
  env?: Record<string, string> | undefined
  /** Extra env for the coordinators only. */
  coordinatorEnv?: Record<string, string> | undefined
  /** Extra env for our relay process (e.g. rate limits for benchmarks). */
  relayEnv?: Record<string, string> | undefined
  /** Node and coordinator log level (default 'info', so the logs have something to search). */
  logLevel?: 'debug' | 'info' | 'warn' | undefined
  /**
   * Where the third-party relay runs: in this process (default, quicker to start) or as its own process, as relays
   * are deployed (benchmarks: it verifies every event in JavaScript, which would load the load generator).
   */
  thirdPartyRelay?: 'in-process' | 'process' | undefined
}

export type TestNetwork = {
  dir: string
  ours: SpawnedRelay & { dbPath: string }
  thirdParty: { url: string; dbPath: string }
  relays: string[]
  nodes: NetworkNode[]
  coordinators: NetworkCoordinator[]
  /** Chat requests the fake backends received whose user messages carry `marker`. */
  backendCalls(marker: string): number
  /** Every marker seen by a backend, with its count. */
  markerCounts(): ReadonlyMap<string, number>
  /** A test client on both relays (pass `coordinator` to route through one). */
  client(params?: Partial<CreateTestClientParameters>): InfernetClient
  /** Waits until the coordinator lists `count` nodes for the model. */
  waitForIndexed(coordinatorUrl: string, count: number, timeoutMs?: number): Promise<void>
  /** The network's own processes as they run now (for per-process CPU and memory figures in benches). */
  processes(): { name: string; pid: number }[]
  /** Raw bytes of every relay database file (db, -wal, -shm), for leak searches. */
  relayStorage(): Buffer
  close(): Promise<void>
}

export const defaultReply = 'The network answered this prompt through a node, one token at a time.'

/** A fresh marker word to put in a prompt. */
export function newMarker(): string {
  return `M-${randomBytes(8).toString('hex')}`
}

const markerPattern = /M-[0-9a-f]{16}/g

/** Polls `check` until it returns a value; `idleTimeoutMs` is for an idle machine and stretches with the load. */
export async function waitFor<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string, idleTimeoutMs = 15_000): Promise<T> {
  const timeoutMs = scaled(idleTimeoutMs)
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await Promise.resolve()
      .then(check)
      .catch(() => undefined)
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

type NodesBody = { nodes: { pubkey: string }[] }

export async function indexedNodes(coordinatorUrl: string, query = `model=${model}`): Promise<string[]> {
  const res = await fetch(`${coordinatorUrl}/api/v1/nodes?${query}`)
  if (!res.ok) return []
  return ((await res.json()) as NodesBody).nodes.map((n) => n.pubkey)
}

function capture(child: { stderr: NodeJS.ReadableStream | null }, sink: { text: string }): void {
  child.stderr?.on('data', (d: Buffer) => {
    sink.text += d.toString()
  })
}

/** Resident set size of a process in kB (Linux /proc). */
export function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(status)
  if (!m) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(m[1])
}

export async function startTestNetwork(options: StartTestNetworkOptions): Promise<TestNetwork> {
  const tmp = tempDir('infernet-e2e-')
  const dir = tmp.path
  const cleanups: (() => Promise<void> | void)[] = [() => tmp.remove()]
  const clients: InfernetClient[] = []
  const counts = new Map<string, number>()
  const logLevel = options.logLevel ?? 'info'
  // Runs every cleanup even when one fails, then throws the first failure.
  const close = async () => {
    const errors: unknown[] = []
    for (const c of clients.splice(0)) await c.close().catch((err: unknown) => errors.push(err))
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn()
      } catch (err) {
        errors.push(err)
      }
    }
    if (errors.length) throw errors[0]
  }
  // If this process exits or is stopped without close() (a test file timed out), its spawned processes must not
  // outlive it: reapOnExit.ts kills every descendant then (the spawning helpers arm it too).
  reapChildrenOnExit()
  try {
    const oursDb = join(dir, 'relay.sqlite')
    const ours = await spawnRelayProcess({ dbPath: oursDb, env: options.relayEnv })
    cleanups.push(() => ours.stop('SIGKILL'))
    const thirdDb = join(dir, 'third-party.sqlite')
    const third = options.thirdPartyRelay === 'process' ? await spawnScriptProcess(thirdPartyRelayScript, [thirdDb]) : await startThirdPartyRelay({ dbPath: thirdDb })
    cleanups.push(() => ('close' in third ? third.close() : third.stop()))
    const relays = [ours.url, third.url]

    const countMarkers = (body: Record<string, unknown>) => {
      const messages = Array.isArray(body.messages) ? (body.messages as { role?: string; content?: unknown }[]) : []
      const seen = new Set<string>()
      for (const m of messages) if (m.role === 'user' && typeof m.content === 'string') for (const x of m.content.match(markerPattern) ?? []) seen.add(x)
      for (const x of seen) counts.set(x, (counts.get(x) ?? 0) + 1)
    }

    const nodes = await Promise.all(
      options.nodes.map(async (spec): Promise<NetworkNode> => {
        const reply = (body: Record<string, unknown>) => {
          countMarkers(body)
          return spec.reply ?? defaultReply
        }
        const fakeOptions = { models: [model], reply, ttftMs: spec.ttftMs ?? 0, tokensPerSecond: spec.tokensPerSecond ?? 0 }
        const backend = spec.backend === 'vllm' ? await startFakeOpenAI({ flavor: 'vllm', ...fakeOptions }) : await startFakeOllama(fakeOptions)
        cleanups.push(() => backend.close())
        const backendKind: BackendKind = spec.backend === 'vllm' ? 'vllm' : 'ollama'
        const home = join(dir, `node-${spec.name}`)
        const log = { text: '' }
        const price = spec.price ?? { input: '0', output: '0' }
        const spawnIt = async () => {
          const p = await spawnNodeProcess({
            relays,
            backendUrl: backend.url,
            backendKind,
            home,
            env: { INFERNET_LOG_LEVEL: logLevel, INFERNET_HEARTBEAT_INTERVAL: '5', ...options.env, ...spec.env },
            args: ['--price', `${price.input},${price.output}`, '--name', spec.name, ...(spec.args ?? [])],
          })
          capture(p.child, log)
          return p
        }
        const node: NetworkNode = {
          spec,
          home,
          backend,
          process: await spawnIt(),
          pubkey: '',
          streamUrl: '',
          logs: () => log.text,
          kill: (signal = 'SIGKILL') => node.process.stop(signal),
          async restart() {
            await node.process.stop('SIGKILL')
            node.process = await spawnIt()
            node.streamUrl = node.process.streamUrl
          },
          alive: () => node.process.child.exitCode === null && node.process.child.signalCode === null,
        }
        node.pubkey = node.process.pubkey
        node.streamUrl = node.process.streamUrl
        cleanups.push(() => node.process.stop('SIGKILL'))
        return node
      }),
    )

    const coordinators = await Promise.all(
      Array.from({ length: options.coordinators ?? 2 }, async (_, i): Promise<NetworkCoordinator> => {
        const home = join(dir, `coordinator-${i + 1}`)
        const dbPath = join(home, 'coordinator.db')
        const log = { text: '' }
        const spawnIt = async () => {
          const p = await spawnCoordinatorProcess({ relays, dbPath, home, env: { INFERNET_COORDINATOR_LOG_LEVEL: logLevel, INFERNET_LOG_LEVEL: logLevel, ...options.env, ...options.coordinatorEnv } })
          capture(p.child, log)
          return p
        }
        const coordinator: NetworkCoordinator = {
          url: '',
          home,
          dbPath,
          process: await spawnIt(),
          logs: () => log.text,
          kill: (signal = 'SIGKILL') => coordinator.process.stop(signal),
          async restart() {
            await coordinator.process.stop('SIGKILL')
            coordinator.process = await spawnIt()
            coordinator.url = coordinator.process.url.replace(/\/$/, '')
          },
        }
        coordinator.url = coordinator.process.url.replace(/\/$/, '')
        cleanups.push(() => coordinator.process.stop('SIGKILL'))
        return coordinator
      }),
    )

    return {
      dir,
      ours: Object.assign(ours, { dbPath: oursDb }),
      thirdParty: { url: third.url, dbPath: thirdDb },
      relays,
      nodes,
      coordinators,
      backendCalls: (marker) => counts.get(marker) ?? 0,
      markerCounts: () => counts,
      client(params = {}) {
        const c = createTestClient({ relays, ...params })
        clients.push(c)
        return c
      },
      processes: () => [
        { name: 'relay (ours)', pid: ours.child.pid },
        ...('pid' in third ? [{ name: 'relay (third-party)', pid: third.pid }] : []),
        ...coordinators.map((c, i) => ({ name: `coordinator ${i + 1}`, pid: c.process.child.pid })),
        ...nodes.map((n) => ({ name: `node ${n.spec.name}`, pid: n.process.child.pid })),
      ].filter((p): p is { name: string; pid: number } => typeof p.pid === 'number'),
      waitForIndexed: (url, count, timeoutMs = 20_000) => waitFor(async () => (await indexedNodes(url)).length >= count, `${count} node(s) indexed by ${url}`, timeoutMs).then(() => {}),
      relayStorage() {
        const parts: Buffer[] = []
        for (const base of [oursDb, thirdDb]) {
          for (const f of [base, `${base}-wal`, `${base}-shm`, `${base}-journal`]) {
            try {
              parts.push(readFileSync(f))
            } catch {
              // not there
            }
          }
        }
        return Buffer.concat(parts)
      },
      close,
    }
  } catch (err) {
    await close()
    throw err
  }
}
