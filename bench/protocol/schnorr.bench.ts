// Sign and verify µs per operation for each Schnorr backend (src/schnorr/*) beside the baselines in the same run:
// nostr-tools (finalizeEvent / verifyEvent: pure JS, public key derived again per signature) and nostr-tools' WASM
// build as it is meant to be called (nostr-wasm, keypair rebuilt per signature). Every row signs the same events
// (id hashing included) and verifies the same signatures. Interleaved rounds, median per row, so drift on a shared
// machine hits every row alike. Scale with BENCH_N (events per round, default 2000) and BENCH_ROUNDS (default 5).
import { loadavg } from 'node:os'
import { finalizeEvent, generateSecretKey, verifyEvent } from 'nostr-tools/pure'
import type { Event as NostrEvent } from 'nostr-tools/core'
import { loadNostrWasm } from '../../src/protocol/verify.ts'
import { loadSchnorrAddon } from '../../src/schnorr/addon.ts'
import type { SchnorrBackend } from '../../src/schnorr/backend.ts'
import { nativeSchnorr } from '../../src/schnorr/native.ts'
import { nobleSchnorr } from '../../src/schnorr/noble.ts'
import { wasmSchnorr } from '../../src/schnorr/wasm.ts'

const N = Number(process.env.BENCH_N ?? 2000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const sk = generateSecretKey()
const templates = Array.from({ length: N }, (_, i) => ({ kind: 7000, created_at: 1_764_000_000 + i, tags: [['e', 'ab'.repeat(32)], ['status', 'processing']], content: `chunk ${i}` }))

const wasm = await loadNostrWasm()
const backends: SchnorrBackend[] = [wasmSchnorr(wasm), nobleSchnorr()]
try {
  backends.unshift(nativeSchnorr(loadSchnorrAddon()))
} catch (err) {
  console.log(`native addon not built (${(err as Error).message}); npm run schnorr builds it`)
}

type Row = { name: string; sign: () => NostrEvent[]; verify: (events: NostrEvent[]) => void }
const unsigned = (pubkey: string) => templates.map((t) => ({ ...t, pubkey, id: '', sig: '' }))
const rows: Row[] = backends.map((backend) => {
  const key = backend.key(sk)
  return {
    name: `ours: ${backend.name}${backend.name === 'noble' ? ' (key prepared once)' : backend.name === 'native' ? ' (keypair made once)' : ''}`,
    sign: () => unsigned(key.pubkey).map((e) => (key.finalize(e), e)),
    verify: (events) => {
      for (const e of events) if (!backend.verify(e)) throw new Error(`${backend.name} refused a valid signature`)
    },
  }
})
rows.push({
  name: 'nostr-tools (finalizeEvent / verifyEvent)',
  sign: () => templates.map((t) => finalizeEvent(t, sk)),
  verify: (events) => {
    // verifyEvent caches its verdict on the object; fresh copies make it check every time.
    for (const e of events) if (!verifyEvent({ ...e })) throw new Error('nostr-tools refused a valid signature')
  },
})
rows.push({
  name: 'nostr-wasm (finalizeEvent / verifyEvent)',
  sign: () => unsigned('').map((e) => (wasm.finalizeEvent(e, sk), e)),
  verify: (events) => {
    for (const e of events) wasm.verifyEvent({ ...e })
  },
})

const reference = rows[0]!.sign()
const samples = new Map<string, { sign: number[]; verify: number[] }>(rows.map((r) => [r.name, { sign: [], verify: [] }]))
for (const r of rows) r.verify(r.sign().slice(0, 100)) // warm-up, and every backend checks its own signatures
for (let round = 0; round < ROUNDS; round++) {
  for (const r of rows) {
    let t = performance.now()
    r.sign()
    samples.get(r.name)!.sign.push(((performance.now() - t) * 1000) / N)
    t = performance.now()
    r.verify(reference)
    samples.get(r.name)!.verify.push(((performance.now() - t) * 1000) / N)
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const baseline = samples.get('nostr-wasm (finalizeEvent / verifyEvent)')!
console.log(`schnorr: ${N} events x ${ROUNDS} rounds, node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`)
console.table(
  rows.map((r) => {
    const s = samples.get(r.name)!
    return {
      backend: r.name,
      'sign µs/op': median(s.sign).toFixed(1),
      'verify µs/op': median(s.verify).toFixed(1),
      'sign vs nostr-wasm': `${(median(baseline.sign) / median(s.sign)).toFixed(2)}x`,
      'verify vs nostr-wasm': `${(median(baseline.verify) / median(s.verify)).toFixed(2)}x`,
    }
  }),
)
