// The client commands as a user runs them: `infernet chat`, `infernet nodes`, `infernet models`, as child
// processes against a real relay and node on loopback.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { npubEncode } from 'nostr-tools/nip19'
import { createTestClient, waitForLive } from '../helpers/client.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import { startFakeOpenAI } from '../helpers/fakeBackends/openai.ts'
import { startNode } from '../helpers/node.ts'
import { startRelay } from '../helpers/relay.ts'

const run = promisify(execFile)
const bin = new URL('../../bin/infernet.js', import.meta.url).pathname

test('infernet chat / nodes / models', async (t) => {
  const relay = await startRelay()
  t.after(() => relay.close())
  const bodies: Record<string, unknown>[] = []
  const fake = await startFakeOllama({ models: ['llama3'], reply: (body) => (bodies.push(body), 'Hi there, from the command line.') })
  t.after(() => fake.close())
  const node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: fake.url }, price: { input: '3', output: '7' }, config: { name: 'cli-node' } })
  t.after(() => node.stop())
  const watcher = createTestClient({ relays: [relay.url] })
  t.after(() => watcher.close())
  await waitForLive(watcher, [node.pubkey])
  const home = mkdtempSync(join(tmpdir(), 'infernet-client-cli-'))
  t.after(() => rmSync(home, { recursive: true, force: true }))
  const env = { ...process.env, INFERNET_HOME: home, INFERNET_LOG_LEVEL: 'warn' }
  const cli = (...args: string[]) => run(process.execPath, [bin, ...args, '--relay', relay.url], { env, timeout: 30_000 })

  const [chatJson, chatText, nodesTable, modelsJson] = await Promise.all([
    cli('chat', 'hello', '--json', '--max-tokens', '50'),
    cli('chat', 'hello', '--model', 'llama3', '--system', 'be brief'),
    cli('nodes'),
    cli('models', '--json'),
  ])

  const lines = chatJson.stdout.trim().split('\n').map((l) => JSON.parse(l) as { delta?: string; result?: { text: string; node: string; cost: string; model: string } })
  const result = lines.pop()!.result!
  assert.equal(lines.map((l) => l.delta).join(''), 'Hi there, from the command line.')
  assert.equal(result.text, 'Hi there, from the command line.')
  assert.equal(result.node, node.pubkey)
  assert.equal(result.model, 'llama3')
  assert.equal(typeof result.cost, 'string')

  assert.equal(chatText.stdout, 'Hi there, from the command line.\n')
  // The node as --node and --routing pin: take it (its whole npub), the cost in the coin's units.
  assert.match(chatText.stderr, new RegExp(`llama3 on ${npubEncode(node.pubkey)}: \\d+\\+\\d+ tokens, finish stop, cost \\d+ wei, NOT paid: no settlement contract configured .*, ttft`))
  // The two chats ran at once; one of them carried the system message.
  assert.deepEqual(bodies.map((b) => (b.messages as { role: string }[]).map((m) => m.role).join(',')).sort(), ['system,user', 'user'])

  const [header, row] = nodesTable.stdout.trim().split('\n')
  assert.match(header!, /NODE\s+NAME\s+MODELS\s+PRICE IN\/OUT PER M TOKENS\s+TPS\s+LOAD\s+REGION\s+SEEN\s+LIVE/)
  assert.match(row!, new RegExp(`^${npubEncode(node.pubkey)}\\s+cli-node\\s+llama3\\s+3 wei / 7 wei\\s+-\\s+0/4 q0\\s+-\\s+\\d+s ago\\s+yes`))

  const { models } = JSON.parse(modelsJson.stdout) as { models: { id: string; nodes: number; minPrice: { input: string; output: string } }[] }
  assert.deepEqual(models.map((m) => [m.id, m.nodes, m.minPrice]), [['llama3', 1, { input: '3', output: '7' }]])
})

test('infernet chat: a model nobody serves exits non-zero with a typed message', async (t) => {
  const relay = await startRelay()
  t.after(() => relay.close())
  const home = mkdtempSync(join(tmpdir(), 'infernet-client-cli-'))
  t.after(() => rmSync(home, { recursive: true, force: true }))
  await assert.rejects(
    run(process.execPath, [bin, 'chat', 'hello', '--model', 'nope', '--relay', relay.url], { env: { ...process.env, INFERNET_HOME: home, INFERNET_LOG_LEVEL: 'warn' }, timeout: 30_000 }),
    (err: { code: number; stderr: string; stdout: string }) => {
      assert.equal(err.code, 1)
      assert.match(err.stderr, /Error: No live node serves model "nope"/)
      assert.equal(err.stdout, '')
      return true
    },
  )
})

test('CLI errors say what happened: bad flags name the flag and its range, unreachable relays are named, unknown commands too; a good run leaves no log noise', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'infernet-client-cli-'))
  t.after(() => rmSync(home, { recursive: true, force: true }))
  const env: NodeJS.ProcessEnv = { ...process.env, INFERNET_HOME: home }
  delete env.INFERNET_LOG_LEVEL
  const fails = async (args: string[]) => {
    const r = await run(process.execPath, [bin, ...args], { env, timeout: 30_000 }).then(
      () => assert.fail(`infernet ${args.join(' ')} should fail`),
      (err: { code: number; stdout: string; stderr: string }) => err,
    )
    return { code: r.code, stderr: r.stderr.trim(), stdout: r.stdout }
  }
  // Flag ranges are checked before any relay work: a dead relay in the arguments is never reached.
  for (const [args, message] of [
    [['--max-tokens', 'abc'], /^Error: --max-tokens must be a whole number from 1 to 1000000 \(got not a number\)$/],
    [['--max-tokens', '0'], /^Error: --max-tokens must be a whole number from 1 to 1000000 \(got 0\)$/],
    [['--temperature', '5'], /^Error: --temperature must be a number from 0 to 2 \(got 5\)$/],
  ] as const) {
    const r = await fails(['chat', 'hi', ...args, '--relay', 'ws://127.0.0.1:9'])
    assert.notEqual(r.code, 0)
    assert.match(r.stderr, message)
    assert.equal(r.stderr.split('\n').length, 1, r.stderr)
  }
  for (const args of [['frobnicate'], ['frobnicate', '--help'], ['--home', home, 'chta', '--help']]) {
    const r = await fails(args)
    assert.equal(r.code, 2)
    assert.match(r.stderr, new RegExp(`^Error: Unknown command "${args.includes('chta') ? 'chta' : 'frobnicate'}"`))
    assert.equal(r.stdout, '', 'no root help printed as if the command existed')
  }
  assert.match((await fails(['chta'])).stderr, /Did you mean "chat"\?/)

  const dead = await fails(['nodes', '--relay', 'ws://127.0.0.1:9'])
  assert.equal(dead.code, 1)
  assert.match(dead.stderr, /^Error: Could not reach any relay within \d+ ms \(1 tried\)\.\n {2}- ws:\/\/127\.0\.0\.1:9\/: connect ECONNREFUSED/)
  assert.doesNotMatch(dead.stderr, /No live node/)

  const relay = await startRelay()
  t.after(() => relay.close())
  const ok = await run(process.execPath, [bin, 'nodes', '--relay', relay.url], { env, timeout: 30_000 })
  assert.equal(ok.stdout.trim(), '(none)')
  assert.equal(ok.stderr, '', 'a successful command logs nothing (no "disconnected" line on exit)')
})

test('--help lists only what applies to each command, in aligned columns with no line cut in half', async () => {
  const help = async (...args: string[]) => (await run(process.execPath, [bin, ...args, '--help'], { env: { ...process.env, COLUMNS: '100' }, timeout: 30_000 })).stdout
  const keys = await help('keys')
  assert.doesNotMatch(keys, /--relay|--version/, 'keys talks to no relay and has no version of its own')
  assert.match(await help(), /--version/)
  const [payout, deposit] = await Promise.all([help('payout'), help('deposit')])
  assert.doesNotMatch(payout, /--relay/, 'payout redeems on chain: it reads no relay')
  assert.match(payout, /--contract\s+Settlement contract/)
  assert.match(deposit, /--relay\s+Relay URL to read a node's payout address/)
  assert.match(deposit, /--node\s+.*npub/)
  const chat = await help('chat')
  assert.match(chat, /--relay\s+Relay URL/)
  const env = chat.slice(chat.indexOf('Environment:')).split('\n').slice(1).filter(Boolean)
  const column = (line: string) => /^( {2}INFERNET_\S+ +)/.exec(line)?.[1]!.length
  const descriptions = new Set(env.filter((l) => l.startsWith('  INFERNET_')).map(column))
  assert.equal(descriptions.size, 1, 'every description starts in one column')
  const [start] = descriptions
  for (const line of env) {
    assert.ok(line.length <= 100, `within the width: ${line}`)
    if (!line.startsWith('  INFERNET_')) assert.equal(line.search(/\S/), start, `a wrapped line continues under its description: "${line}"`)
  }
  assert.ok(env.length > env.filter((l) => l.startsWith('  INFERNET_')).length, 'some descriptions did wrap (the check saw a continuation)')
})

test('infernet chat carries tools, a JSON schema and n: tool calls as JSON lines, JSON that validates, one job per choice', async (t) => {
  const relay = await startRelay()
  t.after(() => relay.close())
  const fake = await startFakeOpenAI({ flavor: 'vllm', models: ['tool-model'], reply: 'Plain words.' })
  t.after(() => fake.close())
  const node = await startNode({ relays: [relay.url], backend: { kind: 'vllm', baseUrl: fake.url }, config: { features: ['tools', 'json_schema'] } })
  t.after(() => node.stop())
  const watcher = createTestClient({ relays: [relay.url] })
  t.after(() => watcher.close())
  await waitForLive(watcher, [node.pubkey])
  const home = mkdtempSync(join(tmpdir(), 'infernet-client-cli-'))
  t.after(() => rmSync(home, { recursive: true, force: true }))
  const tools = join(home, 'tools.json')
  writeFileSync(tools, JSON.stringify([{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }]))
  const schemaFile = join(home, 'person.json')
  writeFileSync(schemaFile, JSON.stringify({ type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name', 'age'] }))
  const env = { ...process.env, INFERNET_HOME: home, INFERNET_LOG_LEVEL: 'warn' }
  const cli = (...args: string[]) => run(process.execPath, [bin, 'chat', ...args, '--model', 'tool-model', '--relay', relay.url], { env, timeout: 30_000 })

  const [called, shaped, two] = await Promise.all([cli('Weather in Paris?', '--tools', tools, '--tool-choice', 'required'), cli('Who?', '--schema', schemaFile), cli('Say something', '--n', '2', '--json')])

  const call = JSON.parse(called.stdout.trim()) as { tool_call: { id: string; type: string; function: { name: string; arguments: string } } }
  assert.equal(call.tool_call.type, 'function')
  assert.equal(call.tool_call.function.name, 'get_weather')
  assert.equal(typeof (JSON.parse(call.tool_call.function.arguments) as { city: unknown }).city, 'string', 'the arguments parse and carry the required field')
  assert.match(called.stderr, /finish tool_calls/)

  const person = JSON.parse(shaped.stdout) as { name: unknown; age: unknown }
  assert.equal(typeof person.name, 'string')
  assert.ok(Number.isInteger(person.age), shaped.stdout)

  const results = two.stdout.trim().split('\n').map((l) => JSON.parse(l) as { choice?: number; result?: { text: string } }).filter((l) => l.result)
  assert.deepEqual(results.map((r) => [r.choice, r.result!.text]), [[0, 'Plain words.'], [1, 'Plain words.']], 'two jobs, one per choice')
})
