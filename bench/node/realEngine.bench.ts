// What the node adds on top of a real engine, measured in one run beside the engine called directly: llama.cpp's
// llama-server (built by `npm run engine`) on the tiny-a model, one CPU thread. Paths: the SDK -> node (own
// process, direct WebSocket channel, encrypted) -> engine, against plain HTTP streaming to the engine.
//  1. time to first token, p50 of BENCH_REAL_TTFT_RUNS (25) after 5 warm-up jobs per path;
//  2. tokens/s of one stream of BENCH_REAL_TOKENS (1000) greedy tokens;
//  3. 8 concurrent streams: aggregate tokens/s.
// The fake-backend figures of the same node are bench/node/stream.bench.ts.
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestClient } from '../../test/helpers/client.ts'
import { engine, engineMissingHint, startLlamaServer } from '../../test/helpers/engine/llamaServer.ts'
import { tinyModels } from '../../test/helpers/engine/tinyModel.ts'
import { waitFor } from '../../test/helpers/network.ts'
import { spawnNodeProcess } from '../../test/helpers/node.ts'
import { spawnRelayProcess } from '../../test/helpers/relay.ts'

if (!engine()) {
  console.log(`skipped: ${engineMissingHint}`)
  process.exit(0)
}
const runs = Number(process.env.BENCH_REAL_TTFT_RUNS ?? 25)
const tokens = Number(process.env.BENCH_REAL_TOKENS ?? 1000)
const concurrent = 8
const messages = [{ role: 'user' as const, content: 'Tell me about the network.' }]
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const dir = mkdtempSync(join(tmpdir(), 'infernet-bench-real-'))
const llama = await startLlamaServer({ model: tinyModels.a, parallel: concurrent, ctx: concurrent * 2048 })
const relay = await spawnRelayProcess({ dbPath: join(dir, 'relay.sqlite') })
const node = await spawnNodeProcess({ relays: [relay.url], backendUrl: llama.url, backendKind: 'llamacpp', home: join(dir, 'node'), env: { INFERNET_LOG_LEVEL: 'error', INFERNET_MAX_CONCURRENCY: String(concurrent) } })
const client = createTestClient({ relays: [relay.url], name: 'bench-real', firstTokenTimeoutMs: 30_000 })

/** Direct: one streamed request to the engine; ms to the first content and the completion tokens it reports. */
async function direct(maxTokens: number): Promise<{ ttft: number; total: number; completion: number }> {
  const t0 = performance.now()
  const res = await fetch(`${llama.url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'tiny-a', messages, max_tokens: maxTokens, temperature: 0, stream: true, stream_options: { include_usage: true } }),
  })
  let ttft = -1
  let completion = 0
  let buffer = ''
  const decoder = new TextDecoder()
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true })
    let nl: number
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim()
      buffer = buffer.slice(nl + 1)
      if (!line.startsWith('data: ') || line === 'data: [DONE]') continue
      const data = JSON.parse(line.slice(6)) as { choices: { delta?: { content?: string | null } }[]; usage?: { completion_tokens: number } }
      if (ttft < 0 && data.choices[0]?.delta?.content) ttft = performance.now() - t0
      if (data.usage) completion = data.usage.completion_tokens
    }
  }
  return { ttft, total: performance.now() - t0, completion }
}

async function viaNode(maxTokens: number): Promise<{ ttft: number; total: number; completion: number }> {
  const t0 = performance.now()
  let ttft = -1
  const stream = client.chat({ model: 'tiny-a', messages, params: { max_tokens: maxTokens, temperature: 0 } })
  for await (const d of stream) if (ttft < 0 && d.text) ttft = performance.now() - t0
  const r = await stream.result
  return { ttft, total: performance.now() - t0, completion: r.usage.completionTokens }
}

try {
  await waitFor(async () => (await client.nodes({ model: 'tiny-a' })).some((n) => n.pubkey === node.pubkey && n.live), 'the node live')
  console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; llama-server tiny-a, 1 thread, ${concurrent} slots`)
  for (let i = 0; i < 5; i++) await Promise.all([direct(8), viaNode(8)])
  const d: number[] = []
  const n: number[] = []
  for (let i = 0; i < runs; i++) {
    d.push((await direct(8)).ttft)
    n.push((await viaNode(8)).ttft)
  }
  const dT = median(d)
  const nT = median(n)
  console.log(`TTFT p50 (${runs} runs): direct ${dT.toFixed(2)} ms, via node ${nT.toFixed(2)} ms, added ${(nT - dT).toFixed(2)} ms`)

  const one = async (f: typeof direct) => {
    const r = await f(tokens)
    return (r.completion / r.total) * 1000
  }
  const oneDirect = median([await one(direct), await one(direct), await one(direct)])
  const oneNode = median([await one(viaNode), await one(viaNode), await one(viaNode)])
  console.log(`1 stream of ${tokens} tokens: direct ${oneDirect.toFixed(0)} tokens/s, via node ${oneNode.toFixed(0)} tokens/s, ratio ${(oneNode / oneDirect).toFixed(2)}`)

  const many = async (f: typeof direct) => {
    const t0 = performance.now()
    const rs = await Promise.all(Array.from({ length: concurrent }, () => f(tokens / 2)))
    return (rs.reduce((s, r) => s + r.completion, 0) / (performance.now() - t0)) * 1000
  }
  const manyDirect = median([await many(direct), await many(direct), await many(direct)])
  const manyNode = median([await many(viaNode), await many(viaNode), await many(viaNode)])
  console.log(`${concurrent} streams of ${tokens / 2} tokens: direct ${manyDirect.toFixed(0)} tokens/s, via node ${manyNode.toFixed(0)} tokens/s, ratio ${(manyNode / manyDirect).toFixed(2)}`)
} finally {
  await client.close()
  await node.stop()
  await relay.stop()
  await llama.stop()
  rmSync(dir, { recursive: true, force: true })
}
