// Parses `system_profiler SPDisplaysDataType -json` on macOS:
//   {"SPDisplaysDataType": [{"_name": "Apple M2 Max", "sppci_model": "Apple M2 Max", "sppci_cores": "38",
//     "sppci_device_type": "spdisplays_gpu", "spdisplays_vendor": "sppci_vendor_Apple", ...}]}
// Apple silicon has unified memory and no VRAM field: Metal lets one process use about 75% of it
// (recommendedMaxWorkingSetSize), so vramMiB = 75% of total RAM. Intel Macs with a discrete AMD GPU
// report "spdisplays_vram": "8 GB"; Intel integrated graphics (shared memory) are not counted as a GPU.
import type { GpuInfo } from './types.ts'

const MiB = 1024 * 1024

/** "8 GB" -> 8192, "1536 MB" -> 1536. */
export function parseMemoryString(s: unknown): number | undefined {
  if (typeof s !== 'string') return undefined
  const m = /^\s*([\d.]+)\s*(GB|MB|TB)\s*$/i.exec(s)
  if (!m) return undefined
  const n = Number(m[1])
  const unit = (m[2] as string).toUpperCase()
  return Math.round(unit === 'TB' ? n * 1024 * 1024 : unit === 'GB' ? n * 1024 : n)
}

export function parseAppleDisplays(stdout: string, totalMemBytes: number): GpuInfo[] {
  let json: unknown
  try {
    json = JSON.parse(stdout)
  } catch {
    return []
  }
  const items = (json as { SPDisplaysDataType?: unknown })?.SPDisplaysDataType
  if (!Array.isArray(items)) return []
  const gpus: GpuInfo[] = []
  for (const item of items as Record<string, unknown>[]) {
    const vendor = String(item.spdisplays_vendor ?? '').toLowerCase()
    const name = String(item.sppci_model ?? item._name ?? 'GPU')
    if (vendor.includes('apple') || /^Apple M\d/.test(name)) {
      gpus.push({ vendor: 'apple', name, vramMiB: Math.floor((totalMemBytes * 0.75) / MiB) })
      continue
    }
    const vram = parseMemoryString(item.spdisplays_vram)
    if (vram === undefined) continue // integrated graphics sharing system memory
    if (vendor.includes('amd') || vendor.includes('ati') || /radeon/i.test(name)) gpus.push({ vendor: 'amd', name, vramMiB: vram })
    else if (vendor.includes('nvidia') || /nvidia|geforce/i.test(name)) gpus.push({ vendor: 'nvidia', name, vramMiB: vram })
  }
  return gpus
}
