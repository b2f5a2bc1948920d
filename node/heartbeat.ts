// The node's live state (kind 13830 content) from the scheduler, backend and metrics. Pure apart from the
// backend and GPU calls, each bounded so a stuck backend cannot stop heartbeats (it is reported unhealthy).
import type { HeartbeatContent } from '../src/protocol/heartbeat.ts'
import type { Backend } from './backends/types.ts'
import type { GpuProbe } from './capability.ts'

export type HeartbeatState = {
  slots: { free: number; total: number }
  queue: number
  tps: number | null
  ttftMs: number | null
  interval: number
}

function withTimeout<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(fallback), ms)
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      () => (clearTimeout(t), resolve(fallback)),
    )
  })
}

export async function collectHeartbeat(
  { backend, models, gpu, timeoutMs = 3000 }: { backend: Backend; models: string[]; gpu: GpuProbe; timeoutMs?: number },
  state: HeartbeatState,
): Promise<HeartbeatContent> {
  const [health, loaded, gpus] = await Promise.all([
    withTimeout(backend.health(), timeoutMs, { ok: false as const, reason: 'timeout' }),
    withTimeout(backend.loadedModels(), timeoutMs, [] as string[]),
    withTimeout(gpu.sample ? gpu.sample() : Promise.resolve([]), timeoutMs, []),
  ])
  const served = new Set(models)
  return {
    v: 1,
    models: health.ok ? models.slice(0, 64) : [],
    loaded: loaded.filter((m) => served.has(m)).slice(0, 64),
    slots: state.slots,
    queue: state.queue,
    tps: state.tps,
    ttftMs: state.ttftMs,
    gpus: gpus.slice(0, 16).map((g) => ({ utilization: g.utilization, vramFreeMiB: g.vramFreeMiB === null ? null : Math.max(0, Math.round(g.vramFreeMiB)) })),
    interval: state.interval,
    backendHealthy: health.ok,
  }
}
