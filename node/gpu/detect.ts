// Finds the GPUs of this machine with the vendor tools: nvidia-smi (Linux, Windows), rocm-smi (Linux),
// system_profiler (macOS). Without a GPU it says so: no GPU entries, and the CPU and RAM the node would run on
// (a CPU is not announced as a GPU with RAM as its VRAM). `exec`, `platform` and the memory figures are
// injected; the parsers are pure and tested on fixtures.
import { execFile } from 'node:child_process'
import { cpus, freemem, totalmem } from 'node:os'
import { parseAppleDisplays } from './parseAppleDisplays.ts'
import { nvidiaSmiArgs, parseNvidiaSmi } from './parseNvidiaSmi.ts'
import { parseRocmSmi, rocmSmiArgs } from './parseRocmSmi.ts'
import type { Exec, GpuInfo } from './types.ts'

export type { Exec, GpuInfo, GpuVendor } from './types.ts'

/** Production exec: no shell, 5 s limit, 1 MiB of output. */
export const defaultExec: Exec = (command, args) =>
  new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 5000, maxBuffer: 1024 * 1024, windowsHide: true }, (err, stdout) => (err ? reject(err) : resolve({ stdout: String(stdout) })))
  })

export type DetectGpusParameters = {
  exec?: Exec | undefined
  platform?: NodeJS.Platform | undefined
  totalMemBytes?: number | undefined
  freeMemBytes?: number | undefined
  cpuModel?: string | undefined
}

/** The host beside the GPUs: what CPU inference would run on. */
export type HostInfo = { cpu: string; ramMiB: number; ramFreeMiB: number }

export type DetectGpusReturnType = { gpus: GpuInfo[]; host: HostInfo }

const MiB = 1024 * 1024

async function tryRun(exec: Exec, command: string, args: string[]): Promise<string | undefined> {
  try {
    return (await exec(command, args)).stdout
  } catch {
    return undefined
  }
}

export async function detectGpus(parameters: DetectGpusParameters = {}): Promise<DetectGpusReturnType> {
  const {
    exec = defaultExec,
    platform = process.platform,
    totalMemBytes = totalmem(),
    freeMemBytes = freemem(),
    cpuModel = cpus()[0]?.model?.trim() || 'CPU',
  } = parameters
  const host: HostInfo = { cpu: cpuModel, ramMiB: Math.floor(totalMemBytes / MiB), ramFreeMiB: Math.floor(freeMemBytes / MiB) }
  if (platform === 'darwin') {
    const out = await tryRun(exec, 'system_profiler', ['SPDisplaysDataType', '-json'])
    const gpus = out ? parseAppleDisplays(out, totalMemBytes) : []
    if (gpus.length) return { gpus, host }
  } else {
    const nvidia = await tryRun(exec, 'nvidia-smi', nvidiaSmiArgs)
    const nv = nvidia ? parseNvidiaSmi(nvidia) : []
    if (nv.length) return { gpus: nv, host }
    if (platform === 'linux') {
      const rocm = await tryRun(exec, 'rocm-smi', rocmSmiArgs)
      const amd = rocm ? parseRocmSmi(rocm) : []
      if (amd.length) return { gpus: amd, host }
    }
  }
  return { gpus: [], host }
}
