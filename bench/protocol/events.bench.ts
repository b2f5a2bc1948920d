// Events signed/s and verified/s: the implementation Infernet uses (src/signer.ts, src/protocol/event.ts:
// one sha256 of the serialized event, then @noble/curves Schnorr) beside plain nostr-tools (finalizeEvent,
// verifyEvent) and nostr-tools' libsecp256k1 WASM build (nostr-wasm), all in this run on this machine.
// Also NIP-44 v2 encrypt+decrypt of a 4 KiB prompt: ours (src/protocol/nip44.ts) beside nostr-tools' nip44.
// Scale with BENCH_N (default 3000 events).
import { v2 as ntNip44 } from 'nostr-tools/nip44'
import { finalizeEvent, generateSecretKey, getPublicKey, verifyEvent } from 'nostr-tools/pure'
import * as wasm from 'nostr-tools/wasm'
import { initNostrWasm } from 'nostr-wasm'
import { validateEvent } from '../../src/protocol/event.ts'
import { decrypt, encrypt, getConversationKey } from '../../src/protocol/nip44.ts'
import { createEventVerifier, loadWasmEventVerifier } from '../../src/protocol/verify.ts'
import { createFastSigner } from '../../src/schnorr/fastest.ts'
import { createLocalSigner } from '../../src/signer.ts'

const N = Number(process.env.BENCH_N ?? 3000)
const sk = generateSecretKey()
const templates = Array.from({ length: N }, (_, i) => ({ kind: 1, created_at: 1_764_000_000 + i, tags: [['t', 'bench']], content: `event ${i} ` + 'x'.repeat(200) }))

function rate(label: string, fn: () => void, n: number): number {
  for (let i = 0; i < Math.min(200, n); i++) fn() // warm-up
  const start = performance.now()
  for (let i = 0; i < n; i++) fn()
  const ms = performance.now() - start
  return (n / ms) * 1000
}

const signer = createLocalSigner(sk)
let i = 0
const oursSign = rate('ours sign', () => void signer.signEvent(templates[i++ % N]!), N)
i = 0
const ntSign = rate('nostr-tools sign', () => void finalizeEvent(templates[i++ % N]!, sk), N)
const wasmApi = await initNostrWasm()
wasm.setNostrWasm(wasmApi)
i = 0
const wasmSign = rate('wasm sign', () => void wasm.finalizeEvent(templates[i++ % N]!, sk), N)

const fastSigner = await createFastSigner(sk)
i = 0
const oursFastSign = rate('ours wasm sign', () => void fastSigner.signEvent(templates[i++ % N]!), N)

const signed = templates.map((t) => finalizeEvent(t, sk))
// Fresh plain copies: nostr-tools caches a verified flag (a symbol key, which spread would copy) on the object.
const copies = () => signed.map((e) => JSON.parse(JSON.stringify(e)))
let batch = copies()
i = 0
// Verifiers that remember nothing: every event pays its full Schnorr check.
const nobleVerifier = createEventVerifier({ cacheSize: 0 })
const oursVerify = rate('ours verify', () => {
  if (!validateEvent(batch[i++ % N], 1, { verify: nobleVerifier }).ok) throw new Error('verify failed')
}, N)
const wasmVerifier = await loadWasmEventVerifier({ cacheSize: 0 })
batch = copies()
i = 0
const oursWasmVerify = rate('ours+wasm verify', () => {
  if (!validateEvent(batch[i++ % N], 1, { verify: wasmVerifier }).ok) throw new Error('verify failed')
}, N)
batch = copies()
i = 0
const ntVerify = rate('nostr-tools verify', () => {
  if (!verifyEvent(batch[i++ % N]!)) throw new Error('verify failed')
}, N)
batch = copies()
i = 0
const wasmVerify = rate('wasm verify', () => {
  if (!wasm.verifyEvent(batch[i++ % N]!)) throw new Error('verify failed')
}, N)

const peer = generateSecretKey()
const key = getConversationKey(sk, getPublicKey(peer))
const prompt = 'p'.repeat(4096)
const M = N
const oursNip44 = rate('ours nip44', () => {
  if (decrypt(encrypt(prompt, key), key).length !== 4096) throw new Error('round trip')
}, M)
const ntNip44Rate = rate('nostr-tools nip44', () => {
  if (ntNip44.decrypt(ntNip44.encrypt(prompt, key), key).length !== 4096) throw new Error('round trip')
}, M)

const f = (x: number) => Math.round(x).toLocaleString('en-US')
const us = (opsPerSec: number) => (1e6 / opsPerSec).toFixed(1)
console.log(`events: ${N} (BENCH_N), node ${process.version}`)
console.table([
  { metric: 'sign events/s', 'ours (noble)': f(oursSign), 'ours (wasm)': f(oursFastSign), 'nostr-tools': f(ntSign), 'nostr-tools/wasm': f(wasmSign), 'best ours / nostr-tools': (oursFastSign / ntSign).toFixed(2) },
  { metric: 'validate events/s (shape+id+sig+expiry)', 'ours (noble)': f(oursVerify), 'ours (wasm)': f(oursWasmVerify), 'nostr-tools': f(ntVerify), 'nostr-tools/wasm': f(wasmVerify), 'best ours / nostr-tools': (oursWasmVerify / ntVerify).toFixed(2) },
  { metric: 'NIP-44 4 KiB enc+dec, µs/op (lower is better)', 'ours (noble)': us(oursNip44), 'ours (wasm)': '-', 'nostr-tools': us(ntNip44Rate), 'nostr-tools/wasm': '-', 'best ours / nostr-tools': `${(oursNip44 / ntNip44Rate).toFixed(2)}x faster` },
])
