// The fakes' embedding vectors: a deterministic unit vector per (model, text), float32 values, so tests assert the
// exact numbers that come back through the network (fakeEmbedding called with the same arguments).
import { createHash } from 'node:crypto'

export function fakeEmbedding(model: string, text: string, length: number): number[] {
  const v: number[] = []
  for (let block = 0; v.length < length; block++) {
    const h = createHash('sha256').update(`${model}\0${block}\0${text}`).digest()
    for (let i = 0; i + 1 < h.length && v.length < length; i += 2) v.push(h.readInt16BE(i) / 32768)
  }
  return normalizeEmbedding(v)
}

/** Scaled to length 1, each value rounded to float32 as engines compute them. */
export function normalizeEmbedding(v: number[]): number[] {
  const norm = Math.max(Math.sqrt(v.reduce((s, x) => s + x * x, 0)), 1e-12)
  return v.map((x) => Math.fround(x / norm))
}
