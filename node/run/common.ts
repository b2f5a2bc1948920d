// Pieces the node commands share: flags -> config keys, the pid file, the GPU probe.
import { existsSync, readFileSync } from 'node:fs'
import { resolveHome } from '../../src/config/common.ts'
import type { GpuInfo, GpuProbe, GpuSample } from '../capability.ts'
import { loadNodeConfig, parsePriceFlag, pidFilePath, type NodeConfig } from '../config.ts'
import type { NodeCommandArguments } from '../cli.ts'

export function nodeFlags(argv: NodeCommandArguments): Record<string, unknown> {
  const price = argv.price !== undefined ? parsePriceFlag(argv.price) : undefined
  return {
    relays: argv.relay,
    backend: argv.backend,
    backendUrl: argv.backendUrl,
    models: argv.model,
    priceIn: price?.priceIn ?? argv.priceIn,
    priceOut: price?.priceOut ?? argv.priceOut,
    host: argv.host,
    port: argv.port,
    publicUrl: argv.publicUrl,
    maxConcurrency: argv.maxConcurrency,
    maxQueue: argv.maxQueue,
    name: argv.name,
    region: argv.region,
  }
}

export function loadFromArgv(argv: NodeCommandArguments): { home: string; config: NodeConfig } {
  const home = resolveHome(argv)
  return { home, config: loadNodeConfig(home, { flags: nodeFlags(argv) }) }
}

export type PidFile = { pid: number; url: string; pubkey: string; startedAt: number }

export function readPidFile(home: string): PidFile | undefined {
  const path = pidFilePath(home)
  if (!existsSync(path)) return undefined
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as PidFile
  } catch {
    return undefined
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * The GPU probe from node/gpu/detect.ts when that module is present (loaded lazily, by path, so the node runs
 * without it), else a probe that reports no GPU.
 */
export async function loadGpuProbe(): Promise<GpuProbe> {
  try {
    const mod = (await import(new URL('../gpu/detect.ts', import.meta.url).href)) as Record<string, unknown>
    const detect = (mod.detectGpus ?? mod.detect) as (() => Promise<unknown>) | undefined
    const sample = (mod.sampleGpus ?? mod.sampleGpuUsage ?? mod.sample) as (() => Promise<unknown>) | undefined
    if (typeof detect !== 'function') return { detect: async () => [] }
    const asInfo = (list: unknown): GpuInfo[] =>
      (Array.isArray(list) ? list : ((list as { gpus?: unknown[] })?.gpus ?? [])).flatMap((g: Record<string, unknown>) =>
        typeof g?.name === 'string'
          ? [{ vendor: (['nvidia', 'amd', 'apple', 'cpu'].includes(String(g.vendor)) ? g.vendor : 'nvidia') as GpuInfo['vendor'], name: g.name.slice(0, 128), vramMiB: Math.max(0, Math.round(Number(g.vramMiB ?? g.vramMib ?? 0))), ...(typeof g.driver === 'string' ? { driver: g.driver.slice(0, 64) } : {}) }]
          : [],
      )
    return {
      detect: async () => asInfo(await detect()),
      ...(typeof sample === 'function'
        ? {
            sample: async () =>
              ((await sample()) as Record<string, unknown>[]).map((s): GpuSample => ({
                utilization: typeof s.utilization === 'number' ? Math.min(1, Math.max(0, s.utilization > 1 ? s.utilization / 100 : s.utilization)) : null,
                vramFreeMiB: typeof s.vramFreeMiB === 'number' ? s.vramFreeMiB : null,
              })),
          }
        : {}),
    }
  } catch {
    return { detect: async () => [] }
  }
}
