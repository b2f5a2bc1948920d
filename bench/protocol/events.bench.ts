// Events signed/s and verified/s: the implementation Infernet uses (src/signer.ts, src/protocol/event.ts: one sha256
// of the serialized event, then Schnorr on @noble/curves, or on the fastest backend a Node process has: native
// libsecp256k1 when built, ids on node:crypto) beside plain nostr-tools (finalizeEvent, verifyEvent) and nostr-tools'
// libsecp256k1 WASM build (nostr-wasm), all in this run on this machine.
// Also NIP-44 v2 encrypt+decrypt of a 4 KiB prompt: ours (src/protocol/nip44.ts) beside nostr-tools' nip44.
// Scale with BENCH_N (default 3000 events).
import { v2 as ntNip44 } from 'nostr-tools/nip44'
import { finalizeEvent, generateSecretKey, getEventHash, getPublicKey, verifyEvent } from 'nostr-tools/pure'
import * as wasm from 'nostr-tools/wasm'
import { initNostrWasm } from 'nostr-wasm'
import { eventHashNode } from '../../src/crypto/eventHashNode.ts'
import { validateEvent } from '../../src/protocol/event.ts'
import { decrypt, encrypt, getConversationKey } from '../../src/protocol/nip44.ts'
import { createEventVerifier } from '../../src/protocol/verify.ts'
import { createFastEventVerifier, createFastSigner } from '../../src/schnorr/fastest.ts'
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
const oursFastSign = rate('ours fastest sign', () => void fastSigner.signEvent(templates[i++ % N]!), N)

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
const fastVerifier = await createFastEventVerifier({ cacheSize: 0 })
batch = copies()
i = 0
const oursFastVerify = rate('ours fastest verify', () => {
  if (!validateEvent(batch[i++ % N], 1, { verify: fastVerifier }).ok) throw new Error('verify failed')
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

// Event ids (NIP-01 sha256 of the serialization): nostr-tools' pure-JS hash beside ours on node:crypto, for a short
// event and one the size of a job request carrying a tool schema.
const idRates = [200, 4096].map((size) => {
  const e = { ...signed[0]!, content: 'c'.repeat(size) }
  return { size, nt: rate('nostr-tools id', () => void getEventHash(e), N * 4), ours: rate('ours id', () => void eventHashNode(e), N * 4) }
})

const f = (x: number) => Math.round(x).toLocaleString('en-US')
const us = (opsPerSec: number) => (1e6 / opsPerSec).toFixed(1)
console.log(`events: ${N} (BENCH_N), node ${process.version}`)
console.table([
  { metric: 'sign events/s', 'ours (noble)': f(oursSign), 'ours (fastest)': f(oursFastSign), 'nostr-tools': f(ntSign), 'nostr-tools/wasm': f(wasmSign), 'best ours / nostr-tools': (oursFastSign / ntSign).toFixed(2) },
  { metric: 'validate events/s (shape+id+sig+expiry)', 'ours (noble)': f(oursVerify), 'ours (fastest)': f(oursFastVerify), 'nostr-tools': f(ntVerify), 'nostr-tools/wasm': f(wasmVerify), 'best ours / nostr-tools': (oursFastVerify / ntVerify).toFixed(2) },
  ...idRates.map(({ size, nt, ours }) => ({ metric: `event id, ${size} B content, µs/op`, 'ours (noble)': '-', 'ours (fastest)': us(ours), 'nostr-tools': us(nt), 'nostr-tools/wasm': '-', 'best ours / nostr-tools': `${(ours / nt).toFixed(2)}x faster` })),
  { metric: 'NIP-44 4 KiB enc+dec, µs/op (lower is better)', 'ours (noble)': us(oursNip44), 'ours (fastest)': '-', 'nostr-tools': us(ntNip44Rate), 'nostr-tools/wasm': '-', 'best ours / nostr-tools': `${(oursNip44 / ntNip44Rate).toFixed(2)}x faster` },
])
