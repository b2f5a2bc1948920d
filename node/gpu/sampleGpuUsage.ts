// Utilization and free memory for heartbeats, cheap enough to call every 30 s: one short nvidia-smi
// (or rocm-smi) query, or the free RAM on machines without a supported GPU tool.
import { freemem } from 'node:os'
import { defaultExec } from './detect.ts'
import { parseSmiNumber } from './parseNvidiaSmi.ts'
import { parseRocmSmi } from './parseRocmSmi.ts'
import type { Exec } from './types.ts'

export type GpuUsageSample = {
  /** Mean utilization over GPUs (0-100); undefined when not reported (CPU, Apple, MIG). */
  utilization?: number | undefined
  /** Free memory summed over GPUs (CPU/Apple: free RAM). */
  vramFreeMiB?: number | undefined
  perGpu: { utilization?: number | undefined; vramFreeMiB?: number | undefined }[]
}

export type SampleGpuUsageParameters = {
  exec?: Exec | undefined
  platform?: NodeJS.Platform | undefined
  freeMemBytes?: (() => number) | undefined
}

/** Pure: `nvidia-smi --query-gpu=utilization.gpu,memory.free --format=csv,noheader,nounits` -> per GPU. */
export function parseNvidiaUsage(stdout: string): GpuUsageSample['perGpu'] {
  return stdout
    .split(/\r?\n/)
    .filter((l) => l.includes(','))
    .map((l) => {
      const [u, f] = l.split(',')
      const utilization = parseSmiNumber(u)
      const vramFreeMiB = parseSmiNumber(f)
      return { ...(utilization === undefined ? {} : { utilization }), ...(vramFreeMiB === undefined ? {} : { vramFreeMiB }) }
    })
}

/** Pure: aggregates per-GPU samples (mean utilization, summed free memory). */
export function summarizeUsage(perGpu: GpuUsageSample['perGpu']): GpuUsageSample {
  const utils = perGpu.map((g) => g.utilization).filter((u): u is number => u !== undefined)
  const frees = perGpu.map((g) => g.vramFreeMiB).filter((f): f is number => f !== undefined)
  return {
    ...(utils.length ? { utilization: Math.round(utils.reduce((a, b) => a + b, 0) / utils.length) } : {}),
    ...(frees.length ? { vramFreeMiB: frees.reduce((a, b) => a + b, 0) } : {}),
    perGpu,
  }
}

export async function sampleGpuUsage(parameters: SampleGpuUsageParameters = {}): Promise<GpuUsageSample> {
  const { exec = defaultExec, platform = process.platform, freeMemBytes = freemem } = parameters
  if (platform !== 'darwin') {
    try {
      const { stdout } = await exec('nvidia-smi', ['--query-gpu=utilization.gpu,memory.free', '--format=csv,noheader,nounits'])
      const perGpu = parseNvidiaUsage(stdout)
      if (perGpu.length) return summarizeUsage(perGpu)
    } catch {
      // no NVIDIA tool: try the next
    }
  }
  if (platform === 'linux') {
    try {
      const { stdout } = await exec('rocm-smi', ['--showuse', '--showmeminfo', 'vram', '--json'])
      const gpus = parseRocmSmi(stdout)
      if (gpus.length) return summarizeUsage(gpus.map((g) => ({ utilization: g.utilization, vramFreeMiB: g.vramFreeMiB })))
    } catch {
      // no ROCm tool either
    }
  }
  return { vramFreeMiB: Math.floor(freeMemBytes() / (1024 * 1024)), perGpu: [] }
}
