// BIP-340's official test vectors, read from the copy libsecp256k1 keeps in its own test suite (the C source the
// native addon is built from: secp256k1-wasm's depend/secp256k1/src/modules/schnorrsig/tests_impl.h), so the
// vectors are the upstream ones and nothing is transcribed by hand.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { secp256k1SourceDir } from '../../src/schnorr/addon.ts'

export type Bip340Vector = {
  index: number
  secretKey?: string | undefined
  publicKey: string
  auxRand?: string | undefined
  message?: string | undefined
  signature?: string | undefined
  /** false for vectors whose public key, signature or message must not verify (vectors 5 and 14: the key does not parse). */
  valid: boolean
}

function array(block: string, name: string): string | undefined {
  const m = new RegExp(`\\b${name}\\[\\d+\\] = \\{([^}]*)\\}`).exec(block)
  return m ? [...m[1]!.matchAll(/0x([0-9A-Fa-f]{2})/g)].map((x) => x[1]!.toLowerCase()).join('') : undefined
}

export function bip340Vectors(): Bip340Vector[] {
  const source = readFileSync(join(secp256k1SourceDir(), 'src', 'modules', 'schnorrsig', 'tests_impl.h'), 'utf8')
  const blocks = source.split(/\/\* Test vector (\d+) \*\//).slice(1)
  const vectors: Bip340Vector[] = []
  for (let i = 0; i < blocks.length; i += 2) {
    const index = Number(blocks[i])
    const block = blocks[i + 1]!.split(/\n {4}\}/)[0]!
    const verdict = /check_verify\([^)]*,\s*([01])\)/.exec(block)
    vectors.push({
      index,
      secretKey: array(block, 'sk'),
      publicKey: array(block, 'pk')!,
      auxRand: array(block, 'aux_rand'),
      message: array(block, 'msg'),
      signature: array(block, 'sig'),
      valid: verdict?.[1] === '1',
    })
  }
  if (vectors.length !== 15) throw new Error(`expected BIP-340's 15 test vectors in libsecp256k1's tests, found ${vectors.length}`)
  return vectors
}
