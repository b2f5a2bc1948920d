// Picking the Schnorr backend in Node: native libsecp256k1 when its build loads, else the WASM, else @noble/curves,
// with one line saying why; whatever is picked signs events nostr-tools accepts.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { describe, test } from 'node:test'
import { generateSecretKey, verifyEvent } from 'nostr-tools/pure'
import { addonPath, loadSchnorrAddon, SchnorrAddonMissingError } from '../../src/schnorr/addon.ts'
import { createFastEventVerifier, createFastSigner, loadFastestSchnorr, tryNativeSchnorr } from '../../src/schnorr/fastest.ts'

const missing = join(tmpdir(), 'infernet-no-such-addon.node')
const absent = () => loadSchnorrAddon(missing)
const template = { kind: 1, created_at: 1_764_000_000, tags: [], content: 'hello' }

describe('the fastest Schnorr backend', () => {
  test('without the addon: the WASM, and one line naming the missing build and how to make it', async () => {
    const lines: string[] = []
    const backend = await loadFastestSchnorr({ loadAddon: absent, onFallback: (line) => lines.push(line) })
    assert.equal(backend.name, 'wasm')
    assert.equal(lines.length, 1)
    assert.match(lines[0]!, /native libsecp256k1 unavailable \(the native libsecp256k1 addon is not built \(.*infernet-no-such-addon\.node\)\); signing and verifying with the WASM build/)
    const signer = await createFastSigner(generateSecretKey(), { loadAddon: absent, onFallback: () => {} })
    assert.equal(verifyEvent(await signer.signEvent(template)), true)
  })

  test('without the addon and the WASM: @noble/curves, said in one line with both reasons', async () => {
    const lines: string[] = []
    const backend = await loadFastestSchnorr({ loadAddon: absent, loadWasm: () => Promise.reject(new Error('no WebAssembly here')), onFallback: (line) => lines.push(line) })
    assert.equal(backend.name, 'noble')
    assert.equal(lines.length, 1)
    assert.match(lines[0]!, /not built .*no WebAssembly here.*@noble\/curves/)
    const verifier = await createFastEventVerifier({ loadAddon: absent, loadWasm: () => Promise.reject(new Error('none')), onFallback: () => {} })
    const event = await (await createFastSigner(generateSecretKey(), { loadAddon: absent, onFallback: () => {} })).signEvent(template)
    assert.equal(verifier.check(event), undefined)
    assert.equal(verifier.check({ ...event, sig: event.sig.replace(/.$/, (c) => (c === '0' ? '1' : '0')) }), 'bad-signature')
  })

  test('a build that does not load (another platform, a broken file) falls back the same way, naming the loader error', async () => {
    const lines: string[] = []
    const backend = await loadFastestSchnorr({ loadAddon: () => { throw new Error('invalid ELF header') }, onFallback: (line) => lines.push(line) })
    assert.equal(backend.name, 'wasm')
    assert.match(lines[0]!, /invalid ELF header/)
    assert.equal(tryNativeSchnorr(absent), undefined)
  })

  test('the missing-build error says what to run', () => {
    assert.throws(absent, (err: unknown) => err instanceof SchnorrAddonMissingError && /npm run schnorr/.test((err as Error).message))
  })

  test('with the addon built: native, silently', { skip: existsSync(addonPath()) ? false : `not built (${addonPath()}): npm run schnorr` }, async () => {
    const lines: string[] = []
    const backend = await loadFastestSchnorr({ onFallback: (line) => lines.push(line) })
    assert.equal(backend.name, 'native')
    assert.equal(lines.length, 0, lines.join('\n'))
    const signer = await createFastSigner(generateSecretKey(), { onFallback: (line) => lines.push(line) })
    assert.equal(verifyEvent(await signer.signEvent(template)), true)
    assert.equal(lines.length, 0, lines.join('\n'))
  })
})
