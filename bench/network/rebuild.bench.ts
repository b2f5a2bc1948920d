// Coordinator index rebuild from relays: BENCH_REBUILD_NODES (default 10,000) nodes' signed capability + heartbeat
// pairs (signed with the WASM signer, createFastSigner) are published to our relay, run as its own process
// (`infernet relay`, SQLite); then a fresh coordinator process (`infernet coordinator`, empty cache) is started
// and timed until GET /api/v1/nodes?model=llama3&limit=N lists them all. Baseline in the same run: one plain
// REQ that downloads the same 2N events from the relay (the transfer floor any rebuild pays).
// Run: npm run bench -- rebuild   (BENCH_REBUILD_NODES=1000 for a quick run)
import { generateSecretKey } from 'nostr-tools/pure'
import WebSocket from 'ws'
import { createRelayPool, type WebSocketConstructor } from '../../src/net/relayPool.ts'
import { buildCapability } from '../../src/protocol/capability.ts'
import { buildHeartbeat } from '../../src/protocol/heartbeat.ts'
import type { NostrEvent } from '../../src/protocol/event.ts'
import * as kinds from '../../src/protocol/kinds.ts'
import { createFastSigner } from '../../src/schnorr/fastest.ts'
import { spawnCoordinatorProcess, tempDir } from '../../test/helpers/coordinator.ts'
import { spawnRelayProcess } from '../../test/helpers/relay.ts'
import { join } from 'node:path'

const N = Number(process.env.BENCH_REBUILD_NODES ?? 10_000)

async function main() {
  const dir = tempDir('infernet-bench-rebuild-')
  // Bulk publishing from one connection: lift the relay's per-connection/IP event rate limits (a real network has
  // 10,000 connections). INFERNET_RELAY_MAX_LIMIT stays at its default unless BENCH_RELAY_MAX_LIMIT is set.
  const env: Record<string, string> = { INFERNET_RELAY_EVENT_RATE_CONN: '0', INFERNET_RELAY_EVENT_RATE_IP: '0' }
  if (process.env.BENCH_RELAY_MAX_LIMIT) env.INFERNET_RELAY_MAX_LIMIT = process.env.BENCH_RELAY_MAX_LIMIT
  const relay = await spawnRelayProcess({ dbPath: join(dir.path, 'relay.sqlite'), env })
  const pool = createRelayPool({ urls: [relay.url], WebSocket: WebSocket as unknown as WebSocketConstructor })
  try {
    await pool.ready({ timeoutMs: 10_000 })
    const t0 = performance.now()
    const now = Math.floor(Date.now() / 1000)
    const events: NostrEvent[] = []
    for (let i = 0; i < N; i++) {
      const signer = await createFastSigner(generateSecretKey())
      // Heartbeats of a live network are spread over the interval: created_at over the last 60 s.
      const at = now - (i % 60)
      events.push(
        await buildCapability(signer, {
          v: 1,
          backend: 'ollama',
          models: [{ id: 'llama3' }],
          price: { input: String((i % 50) * 10_000), output: String((i % 70) * 20_000) },
          gpus: [{ vendor: 'nvidia', name: 'H100', vramMiB: 81559 }],
          region: ['eu', 'us', 'ap'][i % 3],
          stream: `http://10.0.${(i >> 8) & 255}.${i & 255}:8080`,
          maxConcurrency: 8,
          maxPromptBytes: 65536,
        } as never, { now: at }),
        await buildHeartbeat(signer, { v: 1, models: ['llama3'], loaded: ['llama3'], slots: { free: 8, total: 8 }, queue: 0, tps: 40 + (i % 60), ttftMs: 100 + (i % 300), gpus: [{ utilization: 0.1, vramFreeMiB: 40000 }], interval: 600, backendHealthy: true }, { now: at }),
      )
    }
    const signMs = performance.now() - t0
    const t1 = performance.now()
    const batch = 256
    for (let i = 0; i < events.length; i += batch) await Promise.all(events.slice(i, i + batch).map((e) => pool.publish(e)))
    const publishMs = performance.now() - t1
    console.log(`signed ${events.length} events in ${signMs.toFixed(0)} ms (WASM signer), published in ${publishMs.toFixed(0)} ms (${((events.length / publishMs) * 1000).toFixed(0)} events/s)`)

    // Baseline: one REQ downloading the same events.
    const t2 = performance.now()
    const got = await pool.query([
      { kinds: [kinds.Capability], limit: N + 10 },
      { kinds: [kinds.Heartbeat], limit: N + 10 },
    ])
    const queryMs = performance.now() - t2
    if (got.length < 2 * N) console.log(`warning: the baseline REQ returned ${got.length} of ${2 * N} events`)

    const home = join(dir.path, 'coordinator')
    const t3 = performance.now()
    const coord = await spawnCoordinatorProcess({ relays: [relay.url], dbPath: join(home, 'coordinator.db'), home, env: { INFERNET_COORDINATOR_FLUSH_MS: '50' } })
    const readyMs = performance.now() - t3
    // Until every node is listed, or the count has not grown for BENCH_REBUILD_STALL_MS (default 15 s).
    const stallMs = Number(process.env.BENCH_REBUILD_STALL_MS ?? 15_000)
    let listed = 0
    let grewAt = performance.now()
    let rebuildMs = NaN
    for (;;) {
      const res = await fetch(`${coord.url.replace(/\/$/, '')}/api/v1/nodes?model=llama3&limit=${Math.min(N, 10_000)}`).catch(() => undefined)
      const count = res?.ok ? ((await res.json()) as { nodes: unknown[] }).nodes.length : 0
      if (count > listed) {
        listed = count
        grewAt = performance.now()
      }
      if (listed >= Math.min(N, 10_000)) {
        rebuildMs = performance.now() - t3
        break
      }
      if (performance.now() - grewAt > stallMs) break
      await new Promise((r) => setTimeout(r, 20))
    }
    await coord.stop()
    console.log(`${'what'.padEnd(62)} ${'ours'.padEnd(28)} baseline`)
    const ours = Number.isNaN(rebuildMs) ? `INCOMPLETE: ${listed} of ${N} listed after ${(grewAt - t3).toFixed(0)} ms` : `${rebuildMs.toFixed(0)} ms (ready line ${readyMs.toFixed(0)} ms)`
    console.log(`${`coordinator rebuild, ${N} nodes (spawn -> all listed)`.padEnd(62)} ${ours.padEnd(28)} one REQ per kind, ${got.length} events back: ${queryMs.toFixed(0)} ms`)
    if (Number.isNaN(rebuildMs)) console.log(`the coordinator's list stopped growing at ${listed} nodes for ${stallMs} ms (its backfill REQ has limit 5000 per kind and the relay clamps to INFERNET_RELAY_MAX_LIMIT)`)
  } finally {
    pool.close()
    await relay.stop()
    dir.remove()
  }
}

await main()
