import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createDemoBackend, cutAtStop, demoReply } from '../../../node/backends/demo.ts'
import type { ChatRequest } from '../../../node/backends/types.ts'
import { BackendError } from '../../../node/errors/backend.ts'
import { collect } from './collect.ts'

const request: ChatRequest = { model: 'demo', messages: [{ role: 'user', content: 'What is Infernet?' }] }

test('demo backend names itself and serves the model "demo"', async () => {
  const demo = createDemoBackend()
  assert.equal(demo.kind, 'demo')
  assert.equal(demo.baseUrl, 'demo://')
  assert.deepEqual(await demo.health(), { ok: true, version: 'infernet-demo' })
  assert.deepEqual(await demo.loadedModels(), ['demo'])
  assert.equal((await demo.listModels())[0]?.id, 'demo')
  assert.equal((await demo.resolveModel('demo'))?.id, 'demo')
  assert.equal(await demo.resolveModel('llama3'), undefined)
})

test('streams the whole deterministic reply with usage; says it is a demo', async () => {
  const demo = createDemoBackend({ tokensPerSecond: 5000, ttftMs: 0 })
  const { text, done, chunks } = await collect(demo.chat(request))
  assert.equal(text, demoReply(request))
  assert.match(text, /demo backend/)
  assert.equal(done.usage.completionTokens, chunks.length - 1)
  assert.ok(done.usage.promptTokens > 0)
  assert.equal(done.finishReason, 'stop')
  assert.equal((await collect(demo.chat(request))).text, text)
})

test('honours max_tokens, continueFinal and unknown models', async () => {
  const demo = createDemoBackend({ tokensPerSecond: 5000, ttftMs: 0 })
  const short = await collect(demo.chat({ ...request, params: { max_tokens: 4 } }))
  assert.equal(short.done.finishReason, 'length')
  assert.equal(short.done.usage.completionTokens, 4)
  const full = demoReply(request)
  const rest = await collect(demo.chat({ ...request, messages: [...request.messages, { role: 'assistant', content: short.text }], continueFinal: true }))
  assert.equal(short.text + rest.text, full)
  await assert.rejects(collect(demo.chat({ ...request, model: 'llama3' })), (e) => e instanceof BackendError && e.reason === 'model-not-found')
})

test('paces output by the injected clock (ttft then tokens/s) and honours abort', async () => {
  let t = 0
  const sleeps: number[] = []
  const demo = createDemoBackend({
    tokensPerSecond: 40,
    ttftMs: 150,
    now: () => t,
    sleep: async (ms) => {
      sleeps.push(ms)
      t += ms
    },
  })
  const { chunks } = await collect(demo.chat({ ...request, params: { max_tokens: 5 } }))
  assert.equal(chunks.length, 6)
  assert.equal(sleeps[0], 150)
  // 5 tokens at 40 tok/s: first at once, then one every 25 ms.
  assert.deepEqual(sleeps.slice(1), [25, 25, 25, 25])
  const controller = new AbortController()
  const real = createDemoBackend({ tokensPerSecond: 40, ttftMs: 0 })
  await assert.rejects(
    (async () => {
      for await (const c of real.chat(request, { signal: controller.signal })) if (c.type === 'delta') controller.abort()
    })(),
    (e) => e instanceof BackendError && e.reason === 'cancelled',
  )
})

test('honours stop (the reply ends before the first stop sequence) and temperature (shuffled, said so; reproducible with seed)', async () => {
  const demo = createDemoBackend({ tokensPerSecond: 5000, ttftMs: 0, random: () => 0.5 })
  const full = demoReply(request)
  const stopped = await collect(demo.chat({ ...request, params: { stop: ['network', 'demo backend'] } }))
  assert.equal(stopped.text, full.slice(0, full.indexOf('demo backend')))
  assert.equal(stopped.done.finishReason, 'stop')
  assert.equal(stopped.done.usage.completionTokens, stopped.chunks.length - 1)

  const cold = await collect(demo.chat({ ...request, params: { temperature: 0 } }))
  assert.equal(cold.text, full)
  const hot = await collect(demo.chat({ ...request, params: { temperature: 1.2, seed: 7 } }))
  assert.notEqual(hot.text, full)
  assert.match(hot.text, /At temperature 1\.2 this demo shuffles its sentences/)
  assert.deepEqual(hot.text.replace(/ \(At temperature.*$/, '').split(/(?<=\.) /).sort(), full.split(/(?<=\.) /).sort())
  assert.equal((await collect(demo.chat({ ...request, params: { temperature: 1.2, seed: 7 } }))).text, hot.text)
  assert.notEqual((await collect(demo.chat({ ...request, params: { temperature: 1.2, seed: 8 } }))).text, hot.text)
  assert.deepEqual(cutAtStop('abc', ['', 'x']), { text: 'abc', stopped: false })
})
