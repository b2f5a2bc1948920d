// The test models are made, not downloaded: the same spec must give the same bytes on every machine (the
// model digests the real-engine tests announce and pin depend on it), and the GGUF they are written in must
// read back.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { encodeGguf, readGgufMetadata, toHalf } from '../helpers/engine/gguf.ts'
import { tinyModelBytes, tinyModels, tinyVocabulary } from '../helpers/engine/tinyModel.ts'

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')

test('same spec, same bytes; another seed, another model', () => {
  const a1 = tinyModelBytes(tinyModels.a)
  const a2 = tinyModelBytes({ ...tinyModels.a })
  assert.equal(sha256(a1), sha256(a2))
  const b = tinyModelBytes(tinyModels.b)
  assert.equal(b.length, a1.length, 'same shape')
  assert.notEqual(sha256(b), sha256(a1))
  // Pinned: a change to the generator changes every model digest the network tests announce; make it on purpose.
  assert.equal(sha256(a1), 'bab06f64d52635a39fccf7aef64d53328eeee8f85d73a44010e23274ed91b2d0')
})

test('the GGUF header and metadata read back', () => {
  const bytes = tinyModelBytes(tinyModels.eos)
  assert.equal(bytes.toString('latin1', 0, 4), 'GGUF')
  assert.equal(bytes.readUInt32LE(4), 3)
  const meta = readGgufMetadata(bytes)
  assert.deepEqual(meta.get('general.architecture'), { type: 'string', value: 'llama' })
  assert.deepEqual(meta.get('general.name'), { type: 'string', value: 'tiny-eos' })
  assert.deepEqual(meta.get('llama.embedding_length'), { type: 'u32', value: 64 })
  const tokens = meta.get('tokenizer.ggml.tokens')
  assert.ok(tokens?.type === 'array' && tokens.itemType === 'string')
  assert.deepEqual(tokens.value, tinyVocabulary.tokens)
  assert.deepEqual(meta.get('tokenizer.ggml.eos_token_id'), { type: 'u32', value: tinyVocabulary.special.imEnd })
  assert.equal(tinyVocabulary.tokens[tinyVocabulary.special.imEnd], '<|im_end|>')
  // Every byte is a token (any prompt encodes), in GPT-2's byte-to-character map: space is U+0120.
  assert.equal(tinyVocabulary.tokens[0x20], '\u0120')
  assert.equal(tinyVocabulary.tokens[0x41], 'A')
})

test('tensor data is aligned to 32 bytes and the file is whole', () => {
  const file = encodeGguf({
    metadata: [['general.architecture', { type: 'string', value: 'x' }]],
    tensors: [
      { name: 'a', dims: [3], type: 'f32', data: new Float32Array([1, 2, 3]) },
      { name: 'b', dims: [2, 2], type: 'f16', data: new Float32Array([1, -2, 0.5, 65504]) },
    ],
  })
  assert.equal(file.length % 32, 0)
  // The last tensor's halves sit at the end of the data section: a 32-byte slot after a padded 12-byte f32 tensor.
  const halves = file.subarray(file.length - 32, file.length - 24)
  assert.deepEqual([...new Uint16Array(halves.buffer.slice(halves.byteOffset, halves.byteOffset + 8))], [0x3c00, 0xc000, 0x3800, 0x7bff])
  assert.throws(() => readGgufMetadata(Buffer.from('GGML0000')), /not a GGUF file/)
  assert.throws(() => readGgufMetadata(file.subarray(0, 30)), /GGUF ends at byte 30/)
})

test('half precision rounds to nearest even and saturates', () => {
  assert.equal(toHalf(0), 0)
  assert.equal(toHalf(-0), 0x8000)
  assert.equal(toHalf(1), 0x3c00)
  assert.equal(toHalf(65504), 0x7bff)
  assert.equal(toHalf(1e6), 0x7c00)
  assert.equal(toHalf(Number.NaN) & 0x7c00, 0x7c00)
  assert.equal(toHalf(5.960464477539063e-8), 0x0001, 'smallest subnormal')
  assert.equal(toHalf(1 + 2 ** -11), 0x3c00, 'a tie rounds to even')
  assert.equal(toHalf(1 + 3 * 2 ** -11), 0x3c02)
})
