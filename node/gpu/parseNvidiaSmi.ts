// Parses `nvidia-smi --query-gpu=index,name,memory.total,memory.free,utilization.gpu,driver_version
// --format=csv,noheader,nounits`: one line per GPU, e.g. `0, NVIDIA H100 80GB HBM3, 81559, 81004, 0, 550.54.15`.
// Fields a GPU cannot report read `[N/A]` (utilization on MIG-enabled GPUs) or `[Not Supported]`.
import type { GpuInfo } from './types.ts'

export const nvidiaSmiArgs = ['--query-gpu=index,name,memory.total,memory.free,utilization.gpu,driver_version', '--format=csv,noheader,nounits']

/** `[N/A]`, `N/A`, `[Not Supported]`, '' -> undefined; otherwise the number (NaN -> undefined). */
export function parseSmiNumber(field: string | undefined): number | undefined {
  if (field === undefined) return undefined
  const s = field.trim()
  if (!s || /n\/a|not supported|unknown|err/i.test(s)) return undefined
  const n = Number(s)
  return Number.isFinite(n) ? n : undefined
}

export function parseNvidiaSmi(stdout: string): GpuInfo[] {
  const gpus: GpuInfo[] = []
  for (const raw of stdout.split(/\r?\n/)) {
    const line = raw.trim()
    if (!line) continue
    const f = line.split(',').map((s) => s.trim())
    if (f.length < 6) continue
    // A name may contain commas: index is first, the last four fields are numbers/driver.
    const name = f.slice(1, f.length - 4).join(', ')
    const [total, free, util, driver] = f.slice(-4)
    const vramMiB = parseSmiNumber(total)
    if (!name || vramMiB === undefined || parseSmiNumber(f[0]) === undefined) continue
    const vramFreeMiB = parseSmiNumber(free)
    const utilization = parseSmiNumber(util)
    gpus.push({
      vendor: 'nvidia',
      name,
      vramMiB,
      ...(vramFreeMiB === undefined ? {} : { vramFreeMiB }),
      ...(utilization === undefined ? {} : { utilization }),
      ...(driver && /^\d[\d.]*$/.test(driver) ? { driver } : {}),
    })
  }
  return gpus
}
