// What structured output costs on the path (issue 17, "Figures"): a tool-calling stream and a json_schema stream beside
// a plain text stream of about the same number of tokens, each through gateway + node and, as its baseline in the same
// run, on the engine directly (the fake vLLM: OpenAI's SSE wire format, tool calls as delta.tool_calls fragments).
// Per kind: TTFT p50 (first delta of any kind) and output tokens/s (completion tokens over the whole request: the
// fake writes as fast as it can, so this is what the path's per-token work allows), direct and through the path, and
// the path's added TTFT, added time per output token (a request's time per token via the path minus that of the
// direct request made just before it: what the path costs per token, whatever the engine's own speed for that kind;
// both added figures are medians of such paired differences) and throughput ratio. The target (the cost of the
// path): a structured stream's added TTFT and added time per token each at most 10% above plain text's. The
// fakes stream tool-call arguments, JSON and text one 4-character piece (one token) at a time, paced alike.
// TTFT is measured on an engine that streams at a finite rate (BENCH_STRUCTURED_TTFT_TPS tokens/s, default 2000, as
// engines do), tokens/s on one that writes the whole reply at once: with everything in one process, a first token
// followed at once by the whole reply would have its delivery wait behind the node's work on the rest of the reply
// (the node sends its result before the gateway reads the first frame), so such a TTFT would count per-token work.
// Kinds are interleaved request by request, so drift on a shared box hits them alike. The relay, the node and the
// coordinator run in this process with the load generator. Run: npm run bench -- structured (BENCH_STRUCTURED_REQUESTS,
// default 150; BENCH_STRUCTURED_KINDS=text,tools to run some kinds only)
import { loadavg } from 'node:os'
import { startCoordinator } from '../../test/helpers/coordinator.ts'
import { startFakeOpenAI } from '../../test/helpers/fakeBackends/openai.ts'
import { pieces, structuredReply } from '../../test/helpers/fakeBackends/toolReply.ts'
import { waitFor } from '../../test/helpers/network.ts'
import { startNode } from '../../test/helpers/node.ts'
import { startRelay } from '../../test/helpers/relay.ts'

const N = Number(process.env.BENCH_STRUCTURED_REQUESTS ?? 150)
// 24 string properties: the fakes stream the arguments and the JSON in 4-character pieces, about 106 of them.
const properties = Object.fromEntries(Array.from({ length: 24 }, (_, i) => [`field${i}`, { type: 'string' }]))
const schema = { type: 'object', properties, required: Object.keys(properties), additionalProperties: false }
// The text reply has as many tokens as the JSON (and the tool call's arguments): a per-token figure spreads each
// request's fixed cost over its tokens, so a longer reply alone would look cheaper per token.
const structuredTokens = pieces(structuredReply({ type: 'json_schema', json_schema: { name: 'form', schema } })!, 4).length
const reply = Array.from({ length: structuredTokens }, (_, i) => `w${i % 10}`).join(' ')

type Kind = 'text' | 'tools' | 'json_schema'
const kinds = (process.env.BENCH_STRUCTURED_KINDS?.split(',') ?? ['text', 'tools', 'json_schema']) as Kind[]
const body = (kind: Kind) => ({
  model: 'bench-model',
  messages: [{ role: 'user', content: 'Fill in the form.' }],
  stream: true,
  stream_options: { include_usage: true },
  ...(kind === 'tools' ? { tools: [{ type: 'function', function: { name: 'fill_form', description: 'A form', parameters: schema } }], tool_choice: 'required' } : {}),
  ...(kind === 'json_schema' ? { response_format: { type: 'json_schema', json_schema: { name: 'form', schema, strict: true } } } : {}),
})

/** One request: TTFT (ms), output tokens per second, and the time (ms) each output token took on average. */
type Sample = { ttft: number; tps: number; msPerToken: number }

/** One OpenAI-format stream: time to the first chunk carrying output, and completion tokens per second after it. */
async function measure(url: string, kind: Kind, model = 'bench-model'): Promise<Sample> {
  const t0 = performance.now()
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body(kind), model }) })
  if (!res.ok || !res.body) throw new Error(`${url} answered ${res.status}: ${(await res.text()).slice(0, 200)}`)
  let first = NaN
  let tokens = 0
  let buffered = ''
  const decoder = new TextDecoder()
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true })
    const lines = buffered.split('\n')
    buffered = lines.pop()!
    for (const line of lines) {
      if (!line.startsWith('data: {')) continue
      const data = JSON.parse(line.slice(6)) as { choices?: { delta?: { content?: string | null; tool_calls?: unknown[] } }[]; usage?: { completion_tokens?: number } }
      const d = data.choices?.[0]?.delta
      if (Number.isNaN(first) && (d?.content || d?.tool_calls?.length)) first = performance.now()
      if (data.usage?.completion_tokens) tokens = data.usage.completion_tokens
    }
  }
  const end = performance.now()
  if (Number.isNaN(first) || tokens === 0) throw new Error(`${kind} stream from ${url} carried no output or no usage`)
  return { ttft: first - t0, tps: tokens / ((end - t0) / 1000), msPerToken: (end - t0) / tokens }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const ttftRate = Number(process.env.BENCH_STRUCTURED_TTFT_TPS ?? 2000)
const relay = await startRelay()
// Two engines behind two nodes: 'bench-model' writes at once (tokens/s), 'bench-paced' at ttftRate (TTFT).
const fake = await startFakeOpenAI({ flavor: 'vllm', models: ['bench-model'], reply, tokensPerSecond: 0 })
const paced = await startFakeOpenAI({ flavor: 'vllm', models: ['bench-paced'], reply, tokensPerSecond: ttftRate })
const nodes = await Promise.all(
  [fake, paced].map((f) => startNode({ relays: [relay.url], backend: { kind: 'vllm', baseUrl: f.url }, config: { features: ['tools', 'json_schema'] }, maxConcurrency: 8 })),
)
const coord = await startCoordinator({ relays: [relay.url], config: { acceptTimeoutMs: 30_000 } })
for (const node of nodes) await waitFor(() => coord.coordinator.market.nodes.get(node.pubkey)?.heartbeat, 'the nodes in the market')
const gateway = `${coord.url}/v1/chat/completions`
const direct = `${fake.url}/v1/chat/completions`
const pacedDirect = `${paced.url}/v1/chat/completions`

for (let i = 0; i < 10; i++) for (const kind of kinds) await Promise.all([measure(gateway, kind), measure(direct, kind), measure(gateway, kind, 'bench-paced'), measure(pacedDirect, kind, 'bench-paced')])
const samples = new Map(kinds.map((k) => [k, { gateway: [] as Sample[], direct: [] as Sample[], pacedGateway: [] as Sample[], pacedDirect: [] as Sample[] }]))
for (let i = 0; i < N; i++) {
  for (const kind of kinds) {
    const s = samples.get(kind)!
    s.direct.push(await measure(direct, kind))
    s.gateway.push(await measure(gateway, kind))
    s.pacedDirect.push(await measure(pacedDirect, kind, 'bench-paced'))
    s.pacedGateway.push(await measure(gateway, kind, 'bench-paced'))
  }
}

const figures = new Map<Kind, { addedTtft: number; ratio: number; perToken: number }>()
console.log(`structured output on the path: ${N} sequential streams per kind and engine, interleaved; TTFT on an engine at ${ttftRate} tokens/s, tokens/s on one writing at once; load ${loadavg()[0].toFixed(2)}`)
console.log(`${'kind'.padEnd(12)} ${'TTFT p50 direct'.padEnd(16)} ${'via gateway'.padEnd(12)} ${'added'.padEnd(10)} ${'tok/s direct'.padEnd(13)} ${'via gateway'.padEnd(12)} ${'ratio'.padEnd(6)} added µs/token`)
for (const kind of kinds) {
  const s = samples.get(kind)!
  const [dT, gT] = [median(s.pacedDirect.map((x) => x.ttft)), median(s.pacedGateway.map((x) => x.ttft))]
  const [dR, gR] = [median(s.direct.map((x) => x.tps)), median(s.gateway.map((x) => x.tps))]
  // The added figures pair each request through the path with the direct one made just before it (median of the
  // differences), so drift on the box between rounds cancels instead of landing on one kind.
  const addedTtft = median(s.pacedGateway.map((g, i) => g.ttft - s.pacedDirect[i]!.ttft))
  const perToken = median(s.gateway.map((g, i) => 1000 * (g.msPerToken - s.direct[i]!.msPerToken)))
  figures.set(kind, { addedTtft, ratio: gR / dR, perToken })
  console.log(`${kind.padEnd(12)} ${`${dT.toFixed(2)} ms`.padEnd(16)} ${`${gT.toFixed(2)} ms`.padEnd(12)} ${`${addedTtft.toFixed(2)} ms`.padEnd(10)} ${dR.toFixed(0).padEnd(13)} ${gR.toFixed(0).padEnd(12)} ${(gR / dR).toFixed(3).padEnd(6)} ${perToken.toFixed(1)}`)
}
const plain = figures.get('text')
for (const kind of ['tools', 'json_schema'] as const) {
  const f = figures.get(kind)
  if (!plain || !f) continue
  const ttftOver = f.addedTtft / plain.addedTtft - 1
  const perTokenOver = f.perToken / plain.perToken - 1
  const ok = ttftOver <= 0.1 && perTokenOver <= 0.1
  console.log(`${kind}: added TTFT ${(ttftOver * 100).toFixed(1)}% and added time per token ${(perTokenOver * 100).toFixed(1)}% vs plain text's (throughput ratio ${((1 - f.ratio / plain.ratio) * 100).toFixed(1)}% below): ${ok ? 'within' : 'OVER'} the 10% target`)
}

await coord.close()
for (const node of nodes) await node.stop()
await fake.close()
await paced.close()
await relay.close()
