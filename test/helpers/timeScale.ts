// How much longer than on an idle machine a wait may take here and now. Readiness waits and the suite's file timeout
// are written for an idle 2-core box; on a shared, loaded one (load ~14 on 2 cores) the same start-up takes several
// times longer, and a fixed deadline cancels tests that were only slow. The factor is the load average per core
// (1 when idle, at most 10), read when a wait begins, so a wait started under load gets its share; the suite's
// runner also measures the CPU share it gets, which sees a load that began too recently for the average.
// INFERNET_TEST_TIME_SCALE fixes the factor (CI on a known machine, or 1 to see the raw deadlines).
import { availableParallelism, loadavg } from 'node:os'

export const maxTimeScale = 10

export type TimeScaleParameters = {
  env?: Record<string, string | undefined> | undefined
  load?: number | undefined
  cores?: number | undefined
}

const clamp = (x: number) => Math.min(maxTimeScale, Math.max(1, x))

/** The factor from INFERNET_TEST_TIME_SCALE, else from the 1-minute load average per core. Pure with its inputs. */
export function timeScale({ env = process.env, load = loadavg()[0], cores = availableParallelism() }: TimeScaleParameters = {}): number {
  const fixed = Number(env.INFERNET_TEST_TIME_SCALE)
  if (env.INFERNET_TEST_TIME_SCALE !== undefined && Number.isFinite(fixed) && fixed > 0) return fixed
  return clamp((load ?? 0) / Math.max(1, cores))
}

/** `ms` stretched by the factor now. */
export function scaled(ms: number, parameters?: TimeScaleParameters): number {
  return Math.ceil(ms * timeScale(parameters))
}

/**
 * The factor for a whole run, decided once at its start (the suite's file timeout): the larger of the load factor
 * and how many times less than one core a busy loop of `probeMs` gets (2 busy loops beside it on 2 cores: 1.5).
 */
export function measureTimeScale(parameters: TimeScaleParameters & { probeMs?: number | undefined } = {}): number {
  const env = parameters.env ?? process.env
  if (env.INFERNET_TEST_TIME_SCALE !== undefined) return timeScale(parameters)
  const probeMs = parameters.probeMs ?? 200
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  while (performance.now() - t0 < probeMs) {
    // spin: the CPU time this gets, against the wall time it takes, is this process's share of a core
  }
  const wall = performance.now() - t0
  const used = process.cpuUsage(cpu0)
  const share = (used.user + used.system) / 1000 / wall
  return Math.max(timeScale(parameters), clamp(share > 0 ? 1 / share : maxTimeScale))
}
