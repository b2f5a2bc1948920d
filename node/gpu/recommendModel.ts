// Picks the largest Ollama model (default Q4_K_M tags from ollama.com/library) that fits in a GPU's memory.
// `sizeBytes` is the download size listed by the library; `minVramMiB` adds room for the KV cache of a 4k-8k
// context and the runtime (~25% + 1 GiB), so the model runs fully on the GPU.
export type ModelRecommendation = { tag: string; sizeBytes: number; minVramMiB: number }

export const modelTable: readonly ModelRecommendation[] = [
  { tag: 'llama3.3:70b', sizeBytes: 43e9, minVramMiB: 48_000 },
  { tag: 'qwen2.5:32b', sizeBytes: 20e9, minVramMiB: 24_000 },
  { tag: 'qwen2.5:14b', sizeBytes: 9.0e9, minVramMiB: 12_000 },
  { tag: 'llama3.1:8b', sizeBytes: 4.9e9, minVramMiB: 7_000 },
  { tag: 'llama3.2:3b', sizeBytes: 2.0e9, minVramMiB: 3_500 },
  { tag: 'llama3.2:1b', sizeBytes: 1.3e9, minVramMiB: 2_200 },
  { tag: 'qwen2.5:0.5b', sizeBytes: 398e6, minVramMiB: 0 },
]

/** The Ollama tag of the largest model that fits `vramMiB`; the 0.5B model when nothing larger does. */
export function recommendModel(vramMiB: number): string {
  return (modelTable.find((m) => vramMiB >= m.minVramMiB) ?? (modelTable.at(-1) as ModelRecommendation)).tag
}
