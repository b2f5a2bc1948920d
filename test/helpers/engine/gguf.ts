// GGUF v3, the file format llama.cpp loads: a header, typed metadata key/values, tensor descriptors, then the
// tensor data, each tensor aligned to `general.alignment` (32 by default). Only what the test models need is
// here: writing F32/F16 tensors, and reading metadata back (the vocabulary files in llama.cpp's source tree are
// GGUF files without tensors). Spec: ggml's docs/gguf.md.
const magic = 0x46554747 // "GGUF" read as a little-endian uint32
const version = 3
export const defaultAlignment = 32

export const ValueType = { u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10, i64: 11, f64: 12 } as const
type ScalarType = Exclude<keyof typeof ValueType, 'array'>

/** A metadata value with its GGUF type; arrays hold one element type. */
export type GgufValue =
  | { type: Exclude<ScalarType, 'string' | 'bool' | 'u64' | 'i64'>; value: number }
  | { type: 'u64' | 'i64'; value: bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; itemType: 'string'; value: string[] }
  | { type: 'array'; itemType: Exclude<ScalarType, 'string' | 'bool' | 'u64' | 'i64'>; value: ArrayLike<number> }

export const TensorType = { f32: 0, f16: 1 } as const
export type GgufTensor = {
  name: string
  /** ggml order: dims[0] is the contiguous one (a matrix of n rows of k values is [k, n]). */
  dims: number[]
  type: keyof typeof TensorType
  /** Row-major in ggml order; converted to `type` when written. */
  data: Float32Array
}

export type GgufFile = { metadata: [string, GgufValue][]; tensors: GgufTensor[] }

/** IEEE 754 half precision, round to nearest even. */
const halfScratch = new Float32Array(1)
const halfBits = new Uint32Array(halfScratch.buffer)
export function toHalf(value: number): number {
  halfScratch[0] = value
  const x = halfBits[0]!
  const sign = (x >>> 16) & 0x8000
  const exp = (x >>> 23) & 0xff
  let mant = x & 0x7fffff
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0)
  const e = exp - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00
  if (e <= 0) {
    if (e < -10) return sign
    mant |= 0x800000
    const shift = 14 - e
    let half = mant >>> shift
    const rest = mant & ((1 << shift) - 1)
    const halfway = 1 << (shift - 1)
    if (rest > halfway || (rest === halfway && half & 1)) half++
    return sign | half
  }
  let half = (e << 10) | (mant >>> 13)
  const rest = mant & 0x1fff
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++
  return sign | half
}

class Writer {
  #chunks: Buffer[] = []
  #size = 0
  get size(): number {
    return this.#size
  }
  push(b: Buffer): void {
    this.#chunks.push(b)
    this.#size += b.length
  }
  u32(v: number): void {
    const b = Buffer.alloc(4)
    b.writeUInt32LE(v)
    this.push(b)
  }
  u64(v: number | bigint): void {
    const b = Buffer.alloc(8)
    b.writeBigUInt64LE(BigInt(v))
    this.push(b)
  }
  string(s: string): void {
    const bytes = Buffer.from(s, 'utf8')
    this.u64(bytes.length)
    this.push(bytes)
  }
  pad(alignment: number): void {
    const rest = this.#size % alignment
    if (rest) this.push(Buffer.alloc(alignment - rest))
  }
  scalar(type: ScalarType, v: number | bigint | boolean | string): void {
    const b = Buffer.alloc(8)
    switch (type) {
      case 'u8': return this.push(Buffer.from([Number(v)]))
      case 'i8': b.writeInt8(Number(v)); return this.push(b.subarray(0, 1))
      case 'u16': b.writeUInt16LE(Number(v)); return this.push(b.subarray(0, 2))
      case 'i16': b.writeInt16LE(Number(v)); return this.push(b.subarray(0, 2))
      case 'u32': b.writeUInt32LE(Number(v)); return this.push(b.subarray(0, 4))
      case 'i32': b.writeInt32LE(Number(v)); return this.push(b.subarray(0, 4))
      case 'f32': b.writeFloatLE(Number(v)); return this.push(b.subarray(0, 4))
      case 'f64': b.writeDoubleLE(Number(v)); return this.push(b)
      case 'u64': b.writeBigUInt64LE(BigInt(v as bigint)); return this.push(b)
      case 'i64': b.writeBigInt64LE(BigInt(v as bigint)); return this.push(b)
      case 'bool': return this.push(Buffer.from([v ? 1 : 0]))
      case 'string': return this.string(String(v))
    }
  }
  concat(): Buffer {
    return Buffer.concat(this.#chunks, this.#size)
  }
}

function tensorBytes(t: GgufTensor): Buffer {
  const count = t.dims.reduce((a, b) => a * b, 1)
  if (t.data.length !== count) throw new Error(`tensor ${t.name}: ${t.data.length} values for dims ${t.dims.join('x')}`)
  if (t.type === 'f32') return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)
  const out = new Uint16Array(count)
  for (let i = 0; i < count; i++) out[i] = toHalf(t.data[i]!)
  return Buffer.from(out.buffer)
}

/** The whole file as bytes. Deterministic: the same input gives the same bytes. */
export function encodeGguf(file: GgufFile): Buffer {
  const alignmentEntry = file.metadata.find(([k]) => k === 'general.alignment')?.[1]
  const alignment = alignmentEntry && typeof alignmentEntry.value === 'number' ? alignmentEntry.value : defaultAlignment
  const w = new Writer()
  w.u32(magic)
  w.u32(version)
  w.u64(file.tensors.length)
  w.u64(file.metadata.length)
  for (const [key, entry] of file.metadata) {
    w.string(key)
    w.u32(ValueType[entry.type])
    if (entry.type === 'array') {
      w.u32(ValueType[entry.itemType])
      w.u64(entry.value.length)
      for (let i = 0; i < entry.value.length; i++) w.scalar(entry.itemType, entry.value[i]!)
    } else {
      w.scalar(entry.type, entry.value)
    }
  }
  const datas = file.tensors.map(tensorBytes)
  let offset = 0
  file.tensors.forEach((t, i) => {
    w.string(t.name)
    w.u32(t.dims.length)
    for (const d of t.dims) w.u64(d)
    w.u32(TensorType[t.type])
    w.u64(offset)
    offset += Math.ceil(datas[i]!.length / alignment) * alignment
  })
  w.pad(alignment)
  for (const data of datas) {
    w.push(data)
    w.pad(alignment)
  }
  return w.concat()
}

/** Metadata of a GGUF file (tensor descriptors and data are not read). */
export function readGgufMetadata(bytes: Buffer): Map<string, GgufValue> {
  let pos = 0
  const need = (n: number) => {
    if (pos + n > bytes.length) throw new Error(`GGUF ends at byte ${bytes.length}, wanted ${pos + n}`)
  }
  const u32 = () => (need(4), (pos += 4), bytes.readUInt32LE(pos - 4))
  const u64 = () => (need(8), (pos += 8), bytes.readBigUInt64LE(pos - 8))
  const str = () => {
    const n = Number(u64())
    need(n)
    pos += n
    return bytes.toString('utf8', pos - n, pos)
  }
  const typeName = (code: number) => {
    const name = (Object.keys(ValueType) as (keyof typeof ValueType)[]).find((k) => ValueType[k] === code)
    if (!name) throw new Error(`unknown GGUF value type ${code} at byte ${pos}`)
    return name
  }
  const scalar = (type: ScalarType): number | bigint | boolean | string => {
    const sizes = { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, f64: 8, u64: 8, i64: 8, bool: 1 } as const
    if (type === 'string') return str()
    need(sizes[type])
    const at = pos
    pos += sizes[type]
    switch (type) {
      case 'u8': return bytes.readUInt8(at)
      case 'i8': return bytes.readInt8(at)
      case 'u16': return bytes.readUInt16LE(at)
      case 'i16': return bytes.readInt16LE(at)
      case 'u32': return bytes.readUInt32LE(at)
      case 'i32': return bytes.readInt32LE(at)
      case 'f32': return bytes.readFloatLE(at)
      case 'f64': return bytes.readDoubleLE(at)
      case 'u64': return bytes.readBigUInt64LE(at)
      case 'i64': return bytes.readBigInt64LE(at)
      case 'bool': return bytes.readUInt8(at) !== 0
    }
  }
  if (u32() !== magic) throw new Error('not a GGUF file (bad magic)')
  const v = u32()
  if (v !== 2 && v !== 3) throw new Error(`GGUF version ${v} is not supported`)
  u64() // tensor count
  const count = Number(u64())
  const out = new Map<string, GgufValue>()
  for (let i = 0; i < count; i++) {
    const key = str()
    const type = typeName(u32())
    if (type === 'array') {
      const itemType = typeName(u32())
      if (itemType === 'array') throw new Error(`${key}: nested arrays are not supported`)
      const n = Number(u64())
      const items: unknown[] = []
      for (let j = 0; j < n; j++) items.push(scalar(itemType))
      out.set(key, { type: 'array', itemType, value: items } as GgufValue)
    } else {
      out.set(key, { type, value: scalar(type) } as GgufValue)
    }
  }
  return out
}
