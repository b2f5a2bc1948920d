export type GpuVendor = 'nvidia' | 'amd' | 'apple' | 'cpu'

export type GpuInfo = {
  vendor: GpuVendor
  name: string
  /** Memory the model can use: VRAM; on Apple silicon the Metal working set of unified memory; on CPU total RAM. */
  vramMiB: number
  vramFreeMiB?: number | undefined
  /** 0-100, undefined where the tool reports N/A (e.g. MIG instances). */
  utilization?: number | undefined
  driver?: string | undefined
}

/** Runs a program (no shell) and returns its stdout; rejects when it is missing or exits non-zero. */
export type Exec = (command: string, args: string[]) => Promise<{ stdout: string }>
