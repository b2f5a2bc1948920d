// Parses `rocm-smi --showproductname --showmeminfo vram --showuse --showdriverversion --json`:
//   {"card0": {"Card Series": "AMD Instinct MI210", "Card Vendor": "Advanced Micro Devices, Inc. [AMD/ATI]",
//              "VRAM Total Memory (B)": "68702699520", "VRAM Total Used Memory (B)": "10903552", "GPU use (%)": "0", ...},
//    "system": {"Driver version": "6.3.6"}}
// Key spelling varies between ROCm releases ("Card series"/"Card Series", "Device Name"), so keys are
// matched case-insensitively.
import { parseSmiNumber } from './parseNvidiaSmi.ts'
import type { GpuInfo } from './types.ts'

export const rocmSmiArgs = ['--showproductname', '--showmeminfo', 'vram', '--showuse', '--showdriverversion', '--json']

const MiB = 1024 * 1024

function pick(o: Record<string, unknown>, ...keys: string[]): string | undefined {
  const lower = new Map(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v]))
  for (const k of keys) {
    const v = lower.get(k.toLowerCase())
    if (typeof v === 'string' && v.trim() && !/^n\/a$/i.test(v.trim())) return v.trim()
  }
  return undefined
}

export function parseRocmSmi(stdout: string): GpuInfo[] {
  let json: unknown
  try {
    json = JSON.parse(stdout)
  } catch {
    return []
  }
  if (!json || typeof json !== 'object') return []
  const all = json as Record<string, Record<string, unknown>>
  const driver = all.system && typeof all.system === 'object' ? pick(all.system, 'Driver version') : undefined
  const gpus: GpuInfo[] = []
  for (const [key, card] of Object.entries(all).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))) {
    if (!/^card\d+$/i.test(key) || !card || typeof card !== 'object') continue
    const total = parseSmiNumber(pick(card, 'VRAM Total Memory (B)'))
    if (total === undefined) continue
    const used = parseSmiNumber(pick(card, 'VRAM Total Used Memory (B)'))
    const utilization = parseSmiNumber(pick(card, 'GPU use (%)'))
    gpus.push({
      vendor: 'amd',
      name: pick(card, 'Card Series', 'Device Name', 'Card Model', 'Card SKU') ?? 'AMD GPU',
      vramMiB: Math.floor(total / MiB),
      ...(used === undefined ? {} : { vramFreeMiB: Math.floor((total - used) / MiB) }),
      ...(utilization === undefined ? {} : { utilization }),
      ...(driver ? { driver } : {}),
    })
  }
  return gpus
}
