import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { createBackend, defaultBackendUrls, detectBackend } from '../../../node/backends/index.ts'
import { startFakeOllama } from '../../helpers/fakeBackends/ollama.ts'
import { startFakeOpenAI } from '../../helpers/fakeBackends/openai.ts'
import type { OpenAIFlavor } from '../../helpers/fakeBackends/openai.ts'

test('createBackend picks the adapter and default URL per kind', () => {
  for (const kind of ['ollama', 'vllm', 'sglang', 'max', 'llamacpp', 'demo'] as const) {
    const b = createBackend({ kind })
    assert.equal(b.kind, kind)
    assert.equal(b.baseUrl, defaultBackendUrls[kind])
  }
  assert.equal(createBackend({ kind: 'vllm', baseUrl: 'http://10.0.0.2:9000/' }).baseUrl, 'http://10.0.0.2:9000')
})

test('detectBackend probes default ports and tells servers apart (fetch routed to fakes)', async () => {
  const ollama = await startFakeOllama()
  const fakes = Object.fromEntries(await Promise.all((['vllm', 'sglang', 'max', 'llamacpp'] as const).map(async (f) => [f, await startFakeOpenAI({ flavor: f })]))) as Record<OpenAIFlavor, Awaited<ReturnType<typeof startFakeOpenAI>>>
  after(() => Promise.all([ollama.close(), ...Object.values(fakes).map((f) => f.close())]))
  // Routes a default port to one fake; every other port is refused, as on a machine with one server.
  const routed = (port: string, target: string): typeof fetch => async (input, init) => {
    const url = String(input)
    if (!url.startsWith(`http://127.0.0.1:${port}/`)) throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) })
    return fetch(url.replace(`http://127.0.0.1:${port}`, target), init)
  }
  assert.equal(await detectBackend({ fetch: routed('0', ''), timeoutMs: 500 }), undefined)
  assert.deepEqual(await detectBackend({ fetch: routed('11434', ollama.url), timeoutMs: 500 }), { kind: 'ollama', baseUrl: 'http://127.0.0.1:11434' })
  assert.deepEqual(await detectBackend({ fetch: routed('8000', fakes.vllm.url), timeoutMs: 500 }), { kind: 'vllm', baseUrl: 'http://127.0.0.1:8000' })
  assert.deepEqual(await detectBackend({ fetch: routed('8000', fakes.max.url), timeoutMs: 500 }), { kind: 'max', baseUrl: 'http://127.0.0.1:8000' })
  assert.deepEqual(await detectBackend({ fetch: routed('30000', fakes.sglang.url), timeoutMs: 500 }), { kind: 'sglang', baseUrl: 'http://127.0.0.1:30000' })
  assert.deepEqual(await detectBackend({ fetch: routed('8080', fakes.llamacpp.url), timeoutMs: 500 }), { kind: 'llamacpp', baseUrl: 'http://127.0.0.1:8080' })
  fakes.llamacpp.setFaults({ loading503: 1 })
  assert.deepEqual(await detectBackend({ fetch: routed('8080', fakes.llamacpp.url), timeoutMs: 500 }), { kind: 'llamacpp', baseUrl: 'http://127.0.0.1:8080' })
})
