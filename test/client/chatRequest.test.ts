// `infernet chat`'s flags as a chat request (client/commands/chatRequest.ts): each flag to its OpenAI parameter,
// images to data: URLs (remote ones fetched by the client), and every bad flag refused by name before any relay
// work; the SDK's chat() refuses what every node would (n > 1, a tool schema that is not an object) the same way.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { InvalidChatRequestError } from '../../client/errors.ts'
import { chatRequestFromFlags, type ChatRequestIo } from '../../client/commands/chatRequest.ts'
import type { ChatCommandArguments } from '../../client/commands/arguments.ts'
import type { GenerationParams } from '../../src/protocol/generationParams.ts'
import { maxImageBytes } from '../../src/protocol/limits.ts'
import { createTestClient } from '../helpers/client.ts'
import { startRelay } from '../helpers/relay.ts'

const weather = { type: 'function', function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }
const schema = { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name', 'age'] }
const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')

function io(files: Record<string, Buffer | string>, remote: Record<string, { status?: number; type: string; body: Buffer }> = {}): ChatRequestIo & { fetched: string[] } {
  const fetched: string[] = []
  return {
    fetched,
    readFile: async (path) => {
      const f = files[path]
      if (f === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' })
      return Buffer.from(f)
    },
    fetch: (async (url: string | URL) => {
      fetched.push(String(url))
      const r = remote[String(url)]
      if (!r) throw new Error('connect ECONNREFUSED')
      return new Response(new Uint8Array(r.body), { status: r.status ?? 200, headers: { 'content-type': r.type } })
    }) as typeof fetch,
  }
}

const flags = (extra: Partial<ChatCommandArguments>): ChatCommandArguments => ({ prompt: 'What is the weather in Paris?', ...extra })

describe('infernet chat flags', () => {
  test('each flag becomes its OpenAI parameter; the prompt carries the images as data: URLs', async () => {
    const files = io({ 'tools.json': JSON.stringify([weather]), 'person.schema.json': JSON.stringify(schema), 'cat.png': png }, { 'https://example.org/dog.webp': { type: 'image/webp', body: png } })
    const a = await chatRequestFromFlags(flags({ tools: 'tools.json', 'tool-choice': 'get_weather', seed: 7, stop: ['\n\n'], 'top-p': 0.9, 'top-logprobs': 3, 'reasoning-effort': 'low', 'max-tokens': 64, system: 'be brief' }), files)
    assert.deepEqual(a.params, {
      max_tokens: 64,
      top_p: 0.9,
      seed: 7,
      stop: ['\n\n'],
      reasoning_effort: 'low',
      logprobs: true,
      top_logprobs: 3,
      tools: [weather],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    })
    assert.deepEqual(a.messages, [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'What is the weather in Paris?' },
    ])

    const b = await chatRequestFromFlags(flags({ schema: 'person.schema.json', image: ['cat.png', 'https://example.org/dog.webp'] }), files)
    assert.deepEqual(b.params, { response_format: { type: 'json_schema', json_schema: { name: 'person_schema', schema, strict: true } } })
    assert.deepEqual(b.messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is the weather in Paris?' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } },
          { type: 'image_url', image_url: { url: `data:image/webp;base64,${png.toString('base64')}` } },
        ],
      },
    ])
    assert.deepEqual(files.fetched, ['https://example.org/dog.webp'], 'the client fetched the remote image itself')

    const c = await chatRequestFromFlags(flags({ format: 'json', tools: 'tools.json' }), files)
    assert.deepEqual(c.params, { tools: [weather], response_format: { type: 'json_object' } }, 'one tool file holding an array')
  })

  test('a bad flag is refused by name, with what is wrong, before any relay work', async () => {
    const big = Buffer.alloc(maxImageBytes + 1)
    const files = io(
      {
        'tools.json': JSON.stringify([weather]),
        'bad-tools.json': JSON.stringify([{ type: 'function', function: { name: 'f', parameters: { type: 'string' } } }]),
        'many-tools.json': JSON.stringify(Array.from({ length: 129 }, (_, i) => ({ type: 'function', function: { name: `f${i}` } }))),
        'broken.json': '{ not json',
        'big.png': big,
        'notes.txt': 'hello',
        's.json': JSON.stringify(schema),
        'array-schema.json': JSON.stringify({ type: 'array' }),
      },
      { 'https://example.org/page': { type: 'text/html', body: Buffer.from('<html>') }, 'https://example.org/gone.png': { status: 404, type: 'image/png', body: Buffer.alloc(0) } },
    )
    const refuses = async (extra: Partial<ChatCommandArguments>, message: RegExp) =>
      assert.rejects(chatRequestFromFlags(flags(extra), files), (err: Error) => {
        assert.equal(err.name, 'InvalidFlagError')
        assert.match(err.message, message)
        return true
      })
    await refuses({ tools: 'bad-tools.json' }, /^--tools \(at 0\.function\.parameters\): must be a JSON schema of type "object"$/)
    await refuses({ tools: 'many-tools.json' }, /^--tools: .*128/)
    await refuses({ tools: 'missing.json' }, /^--tools: cannot read missing\.json \(ENOENT\)$/)
    await refuses({ tools: 'broken.json' }, /^--tools: broken\.json is not JSON/)
    await refuses({ 'tool-choice': 'required' }, /^--tool-choice needs --tools <file>$/)
    await refuses({ tools: 'tools.json', 'tool-choice': 'get_time' }, /^--tool-choice get_time: no tool of that name in tools\.json \(auto, none, required, or one of: get_weather\)$/)
    await refuses({ schema: 'array-schema.json' }, /^--schema \(at json_schema\.schema\): must be a JSON schema of type "object"$/)
    await refuses({ schema: 's.json', format: 'json' }, /^--schema and --format are one choice/)
    await refuses({ image: ['big.png'] }, new RegExp(`^--image big\\.png: ${maxImageBytes + 1} bytes, the limit is ${maxImageBytes}$`))
    await refuses({ image: ['notes.txt'] }, /^--image notes\.txt: name a \.png, \.jpg, \.gif or \.webp file/)
    await refuses({ image: ['https://example.org/page'] }, /^--image https:\/\/example\.org\/page: content type "text\/html" is not png, jpeg, gif or webp$/)
    await refuses({ image: ['https://example.org/gone.png'] }, /^--image https:\/\/example\.org\/gone\.png: the server answered 404$/)
    await refuses({ image: ['https://unreachable.example/x.png'] }, /could not fetch it \(connect ECONNREFUSED\)/)
    await refuses({ image: ['data:text/plain;base64,aGk='] }, /an image must be a data:image\/\(png\|jpeg\|gif\|webp\);base64/)
    await refuses({ 'top-logprobs': 21 }, /^--top-logprobs: /)
  })
})

describe('SDK chat(): parameters every node would refuse', () => {
  test('n > 1 and a tool schema that is not an object are refused before routing, naming the parameter', async (t) => {
    const relay = await startRelay()
    t.after(() => relay.close())
    const client = createTestClient({ relays: [relay.url] })
    t.after(() => client.close())
    const messages = [{ role: 'user' as const, content: 'hi' }]
    for (const [params, param, message] of [
      [{ n: 2 }, 'n', /^params\.n: a job is one completion: for n choices send n jobs/],
      [{ tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'string' } } }] }, 'tools.0.function.parameters', /must be a JSON schema of type "object"/],
      [{ temperature: 3 }, 'temperature', /^params\.temperature: /],
    ] as const) {
      await assert.rejects(client.complete({ model: 'nobody-serves-this', messages, params: params as unknown as GenerationParams }), (err: unknown) => {
        assert.ok(err instanceof InvalidChatRequestError, String(err))
        assert.equal(err.param, param)
        assert.match(err.shortMessage, message)
        return true
      })
    }
    // n: 1 is one completion, as OpenAI means it (the type says so too): not refused (this model has no node, which is the next error).
    await assert.rejects(client.complete({ model: 'nobody-serves-this', messages, params: { n: 1 } }), (err: Error) => err.name === 'NoNodeForModelError')
  })
})
