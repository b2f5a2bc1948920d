// The usage bounds (src/protocol/usageBounds.ts, nips/client.md "Usage bounds"): the vectors, honest usage as the
// project's backends and fakes report it and in the llama.cpp adapter's shape (the tiny model's byte vocabulary), and
// 2x / 25x of the fewest tokens a real tokenizer could count, refused.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { createDemoBackend } from '../../node/backends/demo.ts'
import { estimatePromptTokens } from '../../node/backends/usage.ts'
import type { ChatMessageV1 as ChatMessage } from '../../src/protocol/chatMessage.ts'
import { splitTokens } from '../../src/protocol/splitTokens.ts'
import {
  anyTokenizer,
  maxCompletionTokens,
  maxPromptTokens,
  maxTokensByPattern,
  maxTokensFor,
  pretokenize,
  tokenizerFamilies,
  tokenizerFamily,
} from '../../src/protocol/usageBounds.ts'
import { fakePromptTokens } from '../helpers/fakeBackends/pacer.ts'
import { collect } from '../node/backends/collect.ts'
import type { StructuredOutput } from '../../src/protocol/streamDelta.ts'

type Vectors = {
  families: { model: string; family: string }[]
  pieces: { model: string; text: string; maxTokens: number }[]
  completions: { model: string; output: string; stop?: string[]; maxCompletionTokens: number }[]
  prompts: { model: string; messages: ChatMessage[]; params: Record<string, unknown>; maxPromptTokens: number }[]
  structuredCompletions: { model: string; output: string | StructuredOutput; structured?: boolean; maxCompletionTokens: number }[]
  anyTokenizerIsBytes: boolean
}
const vectors = JSON.parse(readFileSync(new URL('../vectors/usageBounds.json', import.meta.url), 'utf8')) as Vectors
const bytes = (s: string) => new TextEncoder().encode(s).length

const english =
  'Node operators run GPU servers and earn per job; clients submit jobs through one API and pay per job without caring which node ran it. ' +
  'There is no central database: relays carry every fact of the network as signed events, and everything else is a cache that can be rebuilt from them.'
const samples = [
  english,
  'antidisestablishmentarianism Donaudampfschifffahrtsgesellschaft Pneumonoultramicroscopicsilicovolcanoconiosis',
  'const result = await fetch(`${baseUrl}/v1/chat/completions`, { method: "POST" })\n\tif (!result.ok) throw new Error(result.statusText)\n',
  'sha256 334d016f755cd6dc58c53a86e183882f8ec14f52fb05345887c8a5edd42c87b7 and uuid 0b6f1a2c-9d3e-4f5a-8b7c-6d5e4f3a2b1c',
  'aGVsbG8gd29ybGQgdGhpcyBpcyBiYXNlNjQgZW5jb2RlZCB0ZXh0Lg==',
  '你好，世界！今天天气很好。 Привет, мир! Γειά σου κόσμε! नमस्ते दुनिया 👋🏽🚀',
  '| col | col |\n| --- | --- |\n| 1.25 | 3,141,592 |\n\n\n',
  '',
]

describe('vectors (test/vectors/usageBounds.json)', () => {
  test('every family, piece bound, completion and prompt bound is reproduced', () => {
    for (const v of vectors.families) assert.equal(tokenizerFamily(v.model).id, v.family, v.model)
    for (const v of vectors.pieces) assert.equal(maxTokensFor(v.text, tokenizerFamily(v.model)), v.maxTokens, `${v.model}: ${v.text}`)
    for (const v of vectors.completions) assert.equal(maxCompletionTokens(v), v.maxCompletionTokens, `${v.model}: ${v.output}`)
    for (const v of vectors.prompts) assert.equal(maxPromptTokens(v), v.maxPromptTokens, v.model)
    for (const v of vectors.structuredCompletions) assert.equal(maxCompletionTokens(v), v.maxCompletionTokens, `${v.model}: ${JSON.stringify(v.output)}`)
    assert.equal(vectors.anyTokenizerIsBytes, true)
  })
})

describe('the ASCII scanner', () => {
  test('cuts and bounds as the pattern does: samples, every family, and 20,000 random ASCII strings', () => {
    const families = [...tokenizerFamilies, anyTokenizer]
    const check = (text: string) => {
      for (const f of families) assert.equal(maxTokensFor(text, f), maxTokensByPattern(text, f), `${f.id}: ${JSON.stringify(text)}`)
    }
    for (const text of samples) check(text)
    for (const v of vectors.pieces) check(v.text)
    check(JSON.stringify({ type: 'object', properties: { getElementById: { type: 'string' } }, required: ['HTTPServer', 'ABCdef', 'aB', 'A', 'AB c'] }))
    // A small alphabet hits every class boundary often: capitals before lowercase, blanks, line breaks, digits, marks.
    const alphabet = 'AZaz09 \t\n\r\v\f_"{}:,.-\x00\x1f\x7f'
    let seed = 17
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    for (let i = 0; i < 20_000; i++) {
      let text = ''
      for (let n = Math.floor(random() * 24); n > 0; n--) text += alphabet[Math.floor(random() * alphabet.length)]
      check(text)
    }
  })
})

describe('bounds', () => {
  test('pieces cover the text exactly, and an unknown model is bounded by its bytes', () => {
    for (const text of samples) {
      assert.equal(pretokenize(text).join(''), text)
      assert.equal(maxTokensFor(text, anyTokenizer), bytes(text))
      assert.equal(maxCompletionTokens({ model: 'tiny-a', output: text }), bytes(text) + 4)
    }
  })

  test('the tighter families never bound below the pieces, and never above the bytes', () => {
    for (const family of tokenizerFamilies) {
      for (const text of samples) {
        const bound = maxTokensFor(text, family)
        assert.ok(bound >= pretokenize(text).length, `${family.id}: ${text.slice(0, 30)}`)
        assert.ok(bound <= bytes(text), `${family.id}: ${text.slice(0, 30)}`)
      }
    }
  })

  test('honest usage from the demo backend, the fakes and the adapters\' fallback is accepted', async () => {
    // The demo backend counts its own words, exactly.
    const demo = createDemoBackend({ tokensPerSecond: 1e6, ttftMs: 0 })
    for (const messages of [[{ role: 'user' as const, content: 'What is Infernet?' }], [{ role: 'system' as const, content: 'Be terse.' }, { role: 'user' as const, content: english }]]) {
      const { text, done } = await collect(demo.chat({ model: 'demo', messages }))
      assert.ok(done.usage.completionTokens <= maxCompletionTokens({ model: 'demo', output: text }))
      assert.ok(done.usage.promptTokens <= maxPromptTokens({ model: 'demo', messages }))
      assert.ok(2 * done.usage.completionTokens > maxCompletionTokens({ model: 'demo', output: text }), 'the demo model is bounded exactly: 2x is refused')
    }
    // The fake Ollama / OpenAI servers: one token per word of the reply, words + 5 per message of the prompt; the
    // adapters without reported usage: ceil(chars / 4) + 4 per message.
    for (const model of ['llama3', 'qwen2.5:7b', 'mistral:7b', 'fake-model', 'demo']) {
      for (const text of samples) {
        const messages: ChatMessage[] = [{ role: 'system', content: 'You answer briefly.' }, { role: 'user', content: text }]
        assert.ok(splitTokens(text).length <= maxCompletionTokens({ model, output: text }), `${model} completion: ${text.slice(0, 30)}`)
        assert.ok(fakePromptTokens(messages) <= maxPromptTokens({ model, messages }), `${model} fake prompt: ${text.slice(0, 30)}`)
        assert.ok(estimatePromptTokens(messages) <= maxPromptTokens({ model, messages }), `${model} estimated prompt: ${text.slice(0, 30)}`)
      }
    }
  })

  test("the llama.cpp adapter's shape: the tiny model's byte vocabulary (one token per byte) fits", () => {
    // llama-server reports usage.prompt_tokens for the ChatML rendering (test/helpers/engine/tinyModel.ts): the three
    // special tokens are one token each, every other byte is a token (the vocabulary has no merges).
    for (const text of samples) {
      const messages: ChatMessage[] = [{ role: 'system', content: 'You answer briefly.' }, { role: 'user', content: text }]
      const rendered = messages.reduce((n, m) => n + 2 + bytes(`${m.role}\n${m.content}\n`), 0) + 1 + bytes('assistant\n')
      assert.ok(rendered <= maxPromptTokens({ model: 'tiny-a', messages }), text.slice(0, 30))
      // Completion: at worst one byte token each, plus the end-of-turn token, and a stop string cut from the text.
      assert.ok(bytes(text) + 1 + bytes('\nUser:') <= maxCompletionTokens({ model: 'tiny-a', output: text, stop: ['\nUser:'] }))
    }
  })

  test('2x and 25x the fewest tokens a real tokenizer could count are refused for English', () => {
    const output = [english, english].join(' ')
    const least = pretokenize(output).length
    for (const model of ['llama3.2:3b', 'qwen2.5:7b', 'gemma3:4b']) {
      const bound = maxCompletionTokens({ model, output })
      assert.ok(least <= bound, model)
      assert.ok(2 * least > bound, `${model}: 2x (${2 * least}) under the bound ${bound}`)
    }
    const messages: ChatMessage[] = [{ role: 'user', content: Array(6).fill(english).join('\n\n') }]
    const leastPrompt = pretokenize(messages[0]!.content).length + 5
    const prompt = maxPromptTokens({ model: 'llama3', messages })
    assert.ok(leastPrompt <= prompt && 2 * leastPrompt > prompt, `prompt: 2x ${2 * leastPrompt}, bound ${prompt}`)
    // The 25x: a short question charged as 512 + tokens.
    const question: ChatMessage[] = [{ role: 'user', content: 'Hi' }]
    for (const model of ['llama3', 'tiny-a']) assert.ok(25 * (1 + 5) > maxPromptTokens({ model, messages: question }), model)
  })

  test('stop strings and pass-through params widen the bounds; sampling settings do not', () => {
    const messages: ChatMessage[] = [{ role: 'user', content: 'What time is it?' }]
    const plain = maxPromptTokens({ model: 'llama3', messages, params: { temperature: 0.2, max_tokens: 64, stop: ['x'] } })
    assert.equal(plain, maxPromptTokens({ model: 'llama3', messages }))
    const tools = [{ type: 'function', function: { name: 'now', description: 'the current time', parameters: { type: 'object', properties: {} } } }]
    assert.ok(maxPromptTokens({ model: 'llama3', messages, params: { tools } }) >= plain + pretokenize(JSON.stringify({ tools })).length)
    assert.equal(maxCompletionTokens({ model: 'llama3', output: 'ok', stop: ['\n\nUser:', 'END'] }), maxCompletionTokens({ model: 'llama3', output: 'ok' }) + maxTokensFor('\n\nUser:', tokenizerFamily('llama3')))
  })
})
