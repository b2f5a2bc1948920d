// A quantized copy of a model file, made by llama.cpp's own llama-quantize from the same build as the server: the
// audits' "cheaper weights served under the original's name" (a 4-bit copy changes the tiny models' greedy text; an
// 8-bit copy keeps it but moves the logprobs).
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { findEngine } from '../../../scripts/engine/location.ts'

/** llama-quantize's type names the tests use; the tiny models' rows (64, 128 wide) fit their 32-element blocks. */
export type QuantType = 'Q8_0' | 'Q4_0'

/** Writes `to`, a `type` copy of `from`; fails naming what is missing when the engine has no llama-quantize. */
export async function quantizeModel(from: string, to: string, type: QuantType): Promise<string> {
  const quantize = findEngine()?.quantize
  if (!quantize) throw new Error('llama-quantize is not built beside llama-server: rerun `npm run engine`')
  await promisify(execFile)(quantize, [from, to, type], { timeout: 60_000 }).catch((err: Error & { stderr?: string }) => {
    throw new Error(`llama-quantize ${type} failed: ${(err.stderr ?? err.message).trim().split('\n').slice(-3).join(' | ')}`)
  })
  return to
}
