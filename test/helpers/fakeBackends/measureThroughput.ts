// Checks that the fake backends pace accurately under load: N concurrent streams at R tokens/s each,
// read through the real adapters. Prints per-stream rates beside a single-stream baseline from the same run.
//   node --import tsx test/helpers/fakeBackends/measureThroughput.ts
//   env: FAKE_STREAMS (64), FAKE_TPS (2000), FAKE_TOKENS (2000 = 1 s per stream at 2,000 tok/s)
import { createBackend } from '../../../node/backends/index.ts'
import type { BackendKind } from '../../../node/backends/types.ts'
import { startFakeOllama } from './ollama.ts'
import { startFakeOpenAI } from './openai.ts'

const streams = Number(process.env.FAKE_STREAMS ?? 64)
const tps = Number(process.env.FAKE_TPS ?? 2000)
const tokens = Number(process.env.FAKE_TOKENS ?? 2000)
const reply = Array.from({ length: tokens }, (_, i) => `t${i}`).join(' ')

async function run(kind: BackendKind, n: number): Promise<number[]> {
  const fake = kind === 'ollama' ? await startFakeOllama({ models: ['m'], reply, tokensPerSecond: tps }) : await startFakeOpenAI({ flavor: kind as 'vllm', models: ['m'], reply, tokensPerSecond: tps })
  try {
    const backend = createBackend({ kind, baseUrl: fake.url })
    return await Promise.all(
      Array.from({ length: n }, async () => {
        let first = 0
        let last = 0
        let count = 0
        for await (const c of backend.chat({ model: 'm', messages: [{ role: 'user', content: 'go' }] })) {
          if (c.type !== 'delta') continue
          last = performance.now()
          if (count++ === 0) first = last
        }
        if (count !== tokens) throw new Error(`got ${count} tokens, expected ${tokens}`)
        return ((count - 1) * 1000) / (last - first)
      }),
    )
  } finally {
    await fake.close()
  }
}

const fmt = (rates: number[]) => {
  const s = [...rates].sort((a, b) => a - b)
  const q = (p: number) => (s[Math.min(s.length - 1, Math.floor(p * s.length))] as number).toFixed(0)
  return `min ${q(0)} / median ${q(0.5)} / max ${q(1)} tok/s per stream, aggregate ${rates.reduce((a, b) => a + b, 0).toFixed(0)} tok/s`
}

for (const kind of ['vllm', 'ollama'] as const) {
  const baseline = await run(kind, 1)
  const loaded = await run(kind, streams)
  console.log(`${kind}: target ${tps} tok/s x ${tokens} tokens`)
  console.log(`  baseline  1 stream : ${fmt(baseline)}`)
  console.log(`  ${String(streams).padStart(3)} streams        : ${fmt(loaded)}`)
}
