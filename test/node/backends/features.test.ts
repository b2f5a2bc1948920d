// What each adapter reads about a model's features from its engine (nips/capability.md "Features"), against the
// fakes that answer /api/show and /props as the engines do, and how the node announces them with what its operator
// declares. The real llama-server's /props is checked in test/real/features.test.ts.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { createBackend } from '../../../node/backends/index.ts'
import { llamacppFeatures } from '../../../node/backends/llamacppProps.ts'
import { createOllamaBackend } from '../../../node/backends/ollama.ts'
import { ollamaContextLength, ollamaFeatures, versionAtLeast } from '../../../node/backends/ollamaShow.ts'
import { announcedFeatures, buildCapabilityContent } from '../../../node/capability.ts'
import { defaultNodeConfig, loadNodeConfig } from '../../../node/config.ts'
import { startFakeOllama } from '../../helpers/fakeBackends/ollama.ts'
import { startFakeOpenAI } from '../../helpers/fakeBackends/openai.ts'

describe('Ollama: /api/show capabilities and model_info', async () => {
  const capabilities = { llama3: ['completion', 'tools'], 'llava:7b': ['completion', 'vision'], 'qwen3:8b': ['completion', 'tools', 'thinking'], 'nomic-embed-text': ['embedding'] } as const
  const fake = await startFakeOllama({ models: Object.keys(capabilities), capabilities: structuredClone(capabilities) as never, contextLength: 131072, numCtx: 4096 })
  after(() => fake.close())

  test('each model carries the features its capabilities say; context: the runner\'s when loaded, else the model\'s', async () => {
    const models = await createOllamaBackend({ baseUrl: fake.url, timeoutMs: 2000 }).listModels()
    assert.deepEqual(
      Object.fromEntries(models.map((m) => [m.id, m.features])),
      {
        llama3: ['chat', 'tools', 'json_schema', 'logprobs'],
        'llava:7b': ['chat', 'vision', 'json_schema', 'logprobs'],
        'qwen3:8b': ['chat', 'tools', 'json_schema', 'logprobs', 'reasoning'],
        'nomic-embed-text': ['embeddings'],
      },
    )
    assert.deepEqual(models.map((m) => m.contextLength), [4096, 131072, 131072, 131072])
    const shown = fake.received.filter((r) => r.path === '/api/show').map((r) => (r.body as { model: string }).model)
    assert.deepEqual(shown.sort(), ['llama3:latest', 'llava:7b', 'nomic-embed-text:latest', 'qwen3:8b'])
  })

  test('before 0.12.11 Ollama drops logprobs: not announced', async () => {
    const old = await startFakeOllama({ models: ['llama3'], version: '0.12.10' })
    after(() => old.close())
    const [model] = await createOllamaBackend({ baseUrl: old.url, timeoutMs: 2000 }).listModels()
    assert.deepEqual(model?.features, ['chat', 'tools', 'json_schema'])
  })

  test('pure readers: no capabilities (Ollama before 0.6.4) says nothing; versions compare by number', () => {
    assert.equal(ollamaFeatures({ model_info: {} }, '0.5.7'), undefined)
    assert.deepEqual(ollamaFeatures({ capabilities: ['completion', 'insert', 42] }, undefined), ['chat', 'json_schema'])
    assert.equal(ollamaContextLength({ model_info: { 'general.architecture': 'qwen2', 'qwen2.context_length': 32768 } }), 32768)
    assert.equal(ollamaContextLength({ model_info: { 'qwen2.context_length': 32768 } }), undefined)
    assert.deepEqual(['0.12.11', '0.12.2', 'v0.13.0-rc1', '1.0.0', 'dev'].map((v) => versionAtLeast(v, [0, 12, 11])), [true, false, true, true, false])
  })
})

describe('OpenAI-compatible engines', () => {
  test('llama-server: /props decides tools (template caps), vision (modalities) and reasoning; schemas and logprobs always', async () => {
    const plain = await startFakeOpenAI({ flavor: 'llamacpp', models: ['tiny'] })
    const rich = await startFakeOpenAI({ flavor: 'llamacpp', models: ['qwen'], template: { tools: true, vision: true, reasoningEffort: true } })
    after(() => Promise.all([plain.close(), rich.close()]))
    const [p] = await createBackend({ kind: 'llamacpp', baseUrl: plain.url }).listModels()
    const [r] = await createBackend({ kind: 'llamacpp', baseUrl: rich.url }).listModels()
    assert.deepEqual(p?.features, ['chat', 'json_schema', 'logprobs'])
    assert.deepEqual(r?.features, ['chat', 'tools', 'vision', 'json_schema', 'logprobs', 'reasoning'])
    // A router's own /props (no chat template) or no answer: nothing said.
    assert.equal(llamacppFeatures({ model_path: 'none' }), undefined)
    assert.equal(llamacppFeatures(undefined), undefined)
  })

  test('vLLM and SGLang: engine-wide features; MAX: none', async () => {
    for (const [flavor, expected] of [['vllm', ['chat', 'json_schema', 'logprobs']], ['sglang', ['chat', 'json_schema', 'logprobs']], ['max', undefined]] as const) {
      const fake = await startFakeOpenAI({ flavor, models: ['m'] })
      try {
        const [m] = await createBackend({ kind: flavor, baseUrl: fake.url }).listModels()
        assert.deepEqual(m?.features, expected, flavor)
      } finally {
        await fake.close()
      }
    }
  })
})

describe('announcing', () => {
  const base = { config: defaultNodeConfig(), gpus: [], stream: null }
  test('the capability carries the engine\'s features, plus INFERNET_FEATURES; neither: the field left out', () => {
    const models = [
      { id: 'a', backendId: 'a', features: ['chat', 'json_schema'] as const },
      { id: 'b', backendId: 'b' },
    ]
    const plain = buildCapabilityContent({ ...base, models: models.map((m) => ({ ...m, features: m.features ? [...m.features] : undefined })) })
    assert.deepEqual(plain.models.map((m) => m.features), [['chat', 'json_schema'], undefined])
    assert.equal('features' in plain.models[1]!, false)
    const declared = buildCapabilityContent({ ...base, config: defaultNodeConfig({ features: ['tools'] }), models: models.map((m) => ({ ...m, features: m.features ? [...m.features] : undefined })) })
    assert.deepEqual(declared.models.map((m) => m.features), [['chat', 'json_schema', 'tools'], ['chat', 'tools']])
    assert.deepEqual(announcedFeatures(['chat', 'tools'], ['tools']), ['chat', 'tools'])
  })

  test('INFERNET_FEATURES takes known features only', () => {
    assert.deepEqual(loadNodeConfig('/nonexistent', { env: { INFERNET_FEATURES: 'tools, Vision' } }).features, ['tools', 'vision'])
    assert.throws(() => loadNodeConfig('/nonexistent', { env: { INFERNET_FEATURES: 'tools,telepathy' } }), /telepathy/)
  })
})
