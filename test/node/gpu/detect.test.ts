import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { detectGpus } from '../../../node/gpu/detect.ts'
import { parseAppleDisplays, parseMemoryString } from '../../../node/gpu/parseAppleDisplays.ts'
import { parseNvidiaSmi } from '../../../node/gpu/parseNvidiaSmi.ts'
import { parseRocmSmi } from '../../../node/gpu/parseRocmSmi.ts'
import { modelTable, recommendModel } from '../../../node/gpu/recommendModel.ts'
import { parseNvidiaUsage, sampleGpuUsage, summarizeUsage } from '../../../node/gpu/sampleGpuUsage.ts'
import type { Exec } from '../../../node/gpu/types.ts'

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/gpu/${name}`, import.meta.url), 'utf8')
const GiB = 1024 ** 3

/** An exec that answers from a table of command -> stdout and fails like a missing binary otherwise. */
function fakeExec(outputs: Record<string, string>, calls: string[] = []): Exec {
  return async (command, args) => {
    calls.push(`${command} ${args.join(' ')}`)
    const out = outputs[command]
    if (out === undefined) throw Object.assign(new Error(`spawn ${command} ENOENT`), { code: 'ENOENT' })
    return { stdout: out }
  }
}

test('nvidia-smi: one GPU', () => {
  assert.deepEqual(parseNvidiaSmi(fixture('nvidia-smi-1gpu.csv')), [
    { vendor: 'nvidia', name: 'NVIDIA GeForce RTX 4090', vramMiB: 24564, vramFreeMiB: 23012, utilization: 3, driver: '550.54.15' },
  ])
})

test('nvidia-smi: eight GPUs in index order', () => {
  const gpus = parseNvidiaSmi(fixture('nvidia-smi-8gpu.csv'))
  assert.equal(gpus.length, 8)
  assert.deepEqual(gpus.map((g) => g.utilization), [0, 10, 20, 30, 40, 50, 60, 70])
  assert.ok(gpus.every((g) => g.name === 'NVIDIA H100 80GB HBM3' && g.vramMiB === 81559))
  assert.equal(gpus[7]?.vramFreeMiB, 74004)
})

test('nvidia-smi: MIG [N/A] and [Not Supported] fields become absent', () => {
  const [a, b] = parseNvidiaSmi(fixture('nvidia-smi-mig.csv'))
  assert.deepEqual(a, { vendor: 'nvidia', name: 'NVIDIA A100-SXM4-80GB', vramMiB: 81920, vramFreeMiB: 80994, driver: '535.129.03' })
  assert.deepEqual(b, { vendor: 'nvidia', name: 'NVIDIA A100-SXM4-80GB', vramMiB: 81920, driver: '535.129.03' })
})

test('nvidia-smi: a name with a comma survives', () => {
  assert.equal(parseNvidiaSmi('0, Quadro RTX 8000, Rev A, 49152, 49000, 1, 535.1\n')[0]?.name, 'Quadro RTX 8000, Rev A')
})

test('rocm-smi JSON, both key spellings', () => {
  assert.deepEqual(parseRocmSmi(fixture('rocm-smi.json')), [
    { vendor: 'amd', name: 'AMD Instinct MI210', vramMiB: 65520, vramFreeMiB: 65509, utilization: 12, driver: '6.3.6' },
    { vendor: 'amd', name: 'AMD Instinct MI210', vramMiB: 65520, vramFreeMiB: 32760, driver: '6.3.6' },
  ])
})

test('system_profiler: Apple silicon uses 75% of unified memory; Intel Mac counts only the discrete GPU', () => {
  assert.deepEqual(parseAppleDisplays(fixture('system_profiler-apple.json'), 64 * GiB), [{ vendor: 'apple', name: 'Apple M2 Max', vramMiB: 49152 }])
  assert.deepEqual(parseAppleDisplays(fixture('system_profiler-intel-amd.json'), 16 * GiB), [{ vendor: 'amd', name: 'AMD Radeon Pro 5500M', vramMiB: 8192 }])
  assert.equal(parseMemoryString('1536 MB'), 1536)
  assert.equal(parseMemoryString('lots'), undefined)
})

test('garbage gives no GPUs and never throws', () => {
  const g = fixture('garbage.txt')
  assert.deepEqual(parseNvidiaSmi(g), [])
  assert.deepEqual(parseRocmSmi(g), [])
  assert.deepEqual(parseAppleDisplays(g, GiB), [])
  assert.deepEqual(parseRocmSmi('[1,2]'), [])
  assert.deepEqual(parseAppleDisplays('{"SPDisplaysDataType": 3}', GiB), [])
})

test('detectGpus: nvidia first, then rocm on Linux, system_profiler on macOS, CPU fallback', async () => {
  const calls: string[] = []
  const nv = await detectGpus({ exec: fakeExec({ 'nvidia-smi': fixture('nvidia-smi-1gpu.csv') }, calls), platform: 'linux' })
  assert.equal(nv.gpus[0]?.vendor, 'nvidia')
  assert.match(calls[0] ?? '', /^nvidia-smi --query-gpu=index,name,memory.total,memory.free,utilization.gpu,driver_version --format=csv,noheader,nounits$/)
  const amd = await detectGpus({ exec: fakeExec({ 'rocm-smi': fixture('rocm-smi.json') }), platform: 'linux' })
  assert.equal(amd.gpus.length, 2)
  assert.equal(amd.gpus[0]?.vendor, 'amd')
  const mac = await detectGpus({ exec: fakeExec({ system_profiler: fixture('system_profiler-apple.json') }), platform: 'darwin', totalMemBytes: 32 * GiB })
  assert.deepEqual(mac.gpus, [{ vendor: 'apple', name: 'Apple M2 Max', vramMiB: 24576 }])
  const cpu = await detectGpus({ exec: fakeExec({ 'nvidia-smi': fixture('garbage.txt') }), platform: 'linux', totalMemBytes: 16 * GiB, freeMemBytes: 4 * GiB, cpuModel: 'AMD Ryzen 9 7950X' })
  // No GPU: none is made up from the CPU; the host says what CPU inference would run on.
  assert.deepEqual(cpu.gpus, [])
  assert.deepEqual(cpu.host, { cpu: 'AMD Ryzen 9 7950X', ramMiB: 16384, ramFreeMiB: 4096 })
  const win = await detectGpus({ exec: fakeExec({ 'rocm-smi': fixture('rocm-smi.json') }), platform: 'win32', totalMemBytes: GiB, freeMemBytes: GiB, cpuModel: 'x' })
  assert.deepEqual(win.gpus, [], 'rocm-smi is not asked on Windows')
})

test('recommendModel picks the largest model that fits', () => {
  assert.equal(recommendModel(81559), 'llama3.3:70b')
  assert.equal(recommendModel(24564), 'qwen2.5:32b')
  assert.equal(recommendModel(16384), 'qwen2.5:14b')
  assert.equal(recommendModel(8192), 'llama3.1:8b')
  assert.equal(recommendModel(4096), 'llama3.2:3b')
  assert.equal(recommendModel(2048), 'qwen2.5:0.5b')
  assert.equal(recommendModel(0), 'qwen2.5:0.5b')
  for (const m of modelTable) assert.ok(m.minVramMiB * 1024 * 1024 >= m.sizeBytes || m.minVramMiB === 0, `${m.tag} must fit its own minimum`)
})

test('sampleGpuUsage: nvidia query, rocm, then free RAM', async () => {
  assert.deepEqual(parseNvidiaUsage('35, 1000\n[N/A], 2000\n'), [{ utilization: 35, vramFreeMiB: 1000 }, { vramFreeMiB: 2000 }])
  assert.deepEqual(summarizeUsage([{ utilization: 10, vramFreeMiB: 5 }, { utilization: 21, vramFreeMiB: 7 }]), {
    utilization: 16,
    vramFreeMiB: 12,
    perGpu: [{ utilization: 10, vramFreeMiB: 5 }, { utilization: 21, vramFreeMiB: 7 }],
  })
  const calls: string[] = []
  const s = await sampleGpuUsage({ exec: fakeExec({ 'nvidia-smi': '50, 70000\n30, 60000\n' }, calls), platform: 'linux' })
  assert.equal(s.utilization, 40)
  assert.equal(s.vramFreeMiB, 130000)
  assert.deepEqual(calls, ['nvidia-smi --query-gpu=utilization.gpu,memory.free --format=csv,noheader,nounits'])
  const r = await sampleGpuUsage({ exec: fakeExec({ 'rocm-smi': fixture('rocm-smi.json') }), platform: 'linux' })
  assert.equal(r.utilization, 12)
  assert.equal(r.vramFreeMiB, 65509 + 32760)
  const c = await sampleGpuUsage({ exec: fakeExec({}), platform: 'darwin', freeMemBytes: () => 2 * GiB })
  assert.deepEqual(c, { vramFreeMiB: 2048, perGpu: [] })
})
