// Pieces the node commands share: flags -> config keys, the pid file, the GPU probe.
import { existsSync, readFileSync } from 'node:fs'
import { resolveHome } from '../../src/config/common.ts'
import type { GpuProbe, GpuSample } from '../capability.ts'
import { detectGpus } from '../gpu/detect.ts'
import { sampleGpuUsage } from '../gpu/sampleGpuUsage.ts'
import { loadNodeConfig, parsePriceFlag, pidFilePath, type NodeConfig } from '../config.ts'
import type { NodeCommandArguments } from './arguments.ts'

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
    authUrls: argv.authUrl,
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

/** Written 0600 by the running daemon; `statusToken` is what its GET /status asks for. */
export type PidFile = { pid: number; url: string; pubkey: string; startedAt: number; statusToken?: string | undefined }

export function readPidFile(home: string): PidFile | undefined {
  const path = pidFilePath(home)
  if (!existsSync(path)) return undefined
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as PidFile
  } catch {
    return undefined
  }
}

export { isAlive } from '../../src/cli/processAlive.ts'

/** The real GPU probe: node/gpu/detect.ts at start, node/gpu/sampleGpuUsage.ts for every heartbeat. */
export function createGpuProbe(): GpuProbe {
  return {
    detect: async () =>
      (await detectGpus()).gpus.slice(0, 16).map((g) => ({ vendor: g.vendor, name: g.name.slice(0, 128), vramMiB: Math.max(0, Math.round(g.vramMiB)), ...(g.driver ? { driver: g.driver.slice(0, 64) } : {}) })),
    host: async () => (await detectGpus()).host,
    sample: async () =>
      (await sampleGpuUsage()).perGpu.map(
        (g): GpuSample => ({
          utilization: g.utilization === undefined ? null : Math.min(1, Math.max(0, g.utilization / 100)),
          vramFreeMiB: g.vramFreeMiB === undefined ? null : Math.max(0, Math.round(g.vramFreeMiB)),
        }),
      ),
  }
}
