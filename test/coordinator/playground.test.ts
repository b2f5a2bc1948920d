// The playground page (/playground) in headless Chromium against a real relay, a real node daemon (the demo
// backend) and a real coordinator on loopback: it lists the market's models, streams a reply into the page, shows
// the node's npub, the price and the speed, signs with a local key (kept in localStorage) or with a NIP-07
// provider, and never sends the prompt to the coordinator that served it. Bad relays and an empty market read as
// such. Chromium is Debian's package (scripts/ensureChromium.sh).
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { test } from 'node:test'
import { npubEncode } from 'nostr-tools/nip19'
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { hexToBytes } from '@noble/hashes/utils.js'
import { chromium, type Browser, type Page } from 'playwright-core'
import { createDemoBackend, demoModelId, demoReply } from '../../node/backends/demo.ts'
import { formatNative } from '../../src/payments/units.ts'
import { amountDue } from '../../src/protocol/price.ts'
import { Hono } from 'hono'
import { bundlePlaygroundScript, memoizeBuild } from '../../src/coordinator/playground/bundle.ts'
import { parseRelayList } from '../../src/coordinator/playground/browser/market.ts'
import { loadOrCreateLocalKey, localKeyStorageKey } from '../../src/coordinator/playground/browser/signer.ts'
import { summarizeJob, tokensPerSecond } from '../../src/coordinator/playground/browser/summary.ts'
import { publicRelays } from '../../src/coordinator/playground/page.ts'
import { registerPlayground } from '../../src/coordinator/playground/routes.ts'
import { startCoordinator } from '../helpers/coordinator.ts'
import { closureNip07Provider } from '../helpers/nip07.ts'
import { startNode } from '../helpers/node.ts'
import { chromiumArgs, chromiumExecutablePath, chromiumMissing } from '../helpers/chromium.ts'
import { startRelay } from '../helpers/relay.ts'
import { scaled } from '../helpers/timeScale.ts'

/** A loopback port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  await new Promise<void>((r) => server.close(() => r()))
  return port
}

const price = { input: '2000000000000', output: '6000000000000' }
const settled = '#status[data-state="done"], #status[data-state="error"]'

/** Every request the page makes to `origin`, with its body: what the coordinator could have seen. */
function recordRequests(page: Page, origin: string): { url: string; body: string }[] {
  const seen: { url: string; body: string }[] = []
  page.on('request', (req) => {
    if (new URL(req.url()).origin === origin) seen.push({ url: req.url(), body: req.postData() ?? '' })
  })
  return seen
}

/**
 * Script errors and Content-Security-Policy refusals on the page: the policy must not break the SDK (its WebAssembly
 * signature check needs 'wasm-unsafe-eval'). A refused plain `eval` is expected: zod probes `new Function` once
 * and, refused, uses its interpreter.
 */
async function recordProblems(page: Page): Promise<() => Promise<string[]>> {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.addInitScript({
    content: `globalThis.cspViolations = []; document.addEventListener('securitypolicyviolation', (e) => globalThis.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI))`,
  })
  return async () => [...errors, ...(await page.evaluate(() => (globalThis as unknown as { cspViolations: string[] }).cspViolations)).filter((v) => v !== 'script-src eval')]
}

/** Sends `prompt` and records each distinct text the reply shows while it streams (a MutationObserver, no polling). */
async function chat(page: Page, prompt: string): Promise<{ states: string[]; deltas: number; reply: string }> {
  await page.waitForSelector(`#model option[value="${demoModelId}"]`, { state: 'attached', timeout: scaled(20_000) })
  await page.selectOption('#model', demoModelId)
  await page.evaluate(() => {
    const g = globalThis as unknown as { replyStates: string[] }
    g.replyStates = []
    const transcript = document.getElementById('transcript')!
    new MutationObserver(() => {
      const text = transcript.querySelector('.assistant:last-child')?.textContent ?? ''
      if (text && g.replyStates.at(-1) !== text) g.replyStates.push(text)
    }).observe(transcript, { childList: true, subtree: true, characterData: true })
  })
  await page.fill('#prompt', prompt)
  await page.click('#send')
  await page.waitForSelector(settled, { timeout: scaled(30_000) })
  assert.equal(await page.getAttribute('#status', 'data-state'), 'done', (await page.textContent('#status')) ?? '')
  const reply = page.locator('#transcript .assistant').last()
  return {
    states: await page.evaluate(() => (globalThis as unknown as { replyStates: string[] }).replyStates),
    deltas: Number(await reply.getAttribute('data-deltas')),
    reply: (await reply.textContent()) ?? '',
  }
}

async function summary(page: Page, key: string): Promise<string> {
  return (await page.textContent(`#summary [data-key="${key}"]`)) ?? ''
}

test('relay lists, public relays, the local key and the job summary', () => {
  assert.deepEqual(parseRelayList(' wss://a.example, ws://b:7777\nwss://a.example '), ['wss://a.example', 'ws://b:7777'])
  assert.throws(() => parseRelayList(' '), /at least one relay/)
  assert.throws(() => parseRelayList('wss://ok https://no'), /"https:\/\/no" is not a relay URL/)
  assert.deepEqual(publicRelays(['wss://r.example', 'wss://u:p@r.example', 'wss://r.example/?token=x']), ['wss://r.example'])

  const store = new Map<string, string>()
  const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) }
  const key = loadOrCreateLocalKey(storage)
  assert.deepEqual(loadOrCreateLocalKey(storage), key, 'a reload keeps the identity')
  store.set(localKeyStorageKey, 'not a key')
  assert.notDeepEqual(loadOrCreateLocalKey(storage), key, 'a damaged entry is replaced')

  assert.equal(tokensPerSecond(50, { submittedMs: 0, firstTokenMs: 100, doneMs: 600 }), 100)
  assert.equal(tokensPerSecond(50, { submittedMs: 0, firstTokenMs: undefined, doneMs: 600 }), undefined)
  const pubkey = getPublicKey(generateSecretKey())
  const rows = summarizeJob(
    { node: pubkey, cost: 1_500_000_000n, usage: { promptTokens: 3, completionTokens: 50 }, ttftMs: 42.4, model: 'demo', jobs: [{ id: 'j', node: pubkey, outcome: 'ok', transport: 'relay' }], resumed: false },
    { submittedMs: 0, firstTokenMs: 100, doneMs: 600 },
  )
  assert.deepEqual(Object.fromEntries(rows.map((r) => [r.key, r.value])), {
    node: npubEncode(pubkey),
    model: 'demo',
    price: '1.5 gwei',
    tokens: '3 in, 50 out',
    tps: '100.0',
    ttft: '42 ms',
    transport: 'relay',
  })
})

test('the routes: the page with its policy and relays, the script built once and retried after a failure', async () => {
  let builds = 0
  const app = new Hono()
  registerPlayground(app, {
    relays: ['wss://r.example', 'wss://u:secret@r.example'],
    buildScript: async () => {
      if (builds++ === 0) throw new Error('esbuild failed')
      return 'export {}'
    },
  })
  const page = await app.request('/playground')
  assert.equal(page.status, 200)
  assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/)
  const body = await page.text()
  assert.match(body, /value="wss:\/\/r\.example"/)
  assert.ok(!body.includes('secret'), 'a relay URL with credentials stays off the page')
  assert.ok(!/<script>/.test(body), 'no inline script')
  assert.equal((await app.request('/playground/app.js')).status, 500, 'the first build fails')
  const script = await app.request('/playground/app.js')
  assert.equal(script.status, 200)
  assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/)
  assert.equal(await script.text(), 'export {}')
  await app.request('/playground/app.js')
  assert.equal(builds, 2)

  const once = memoizeBuild(async () => String(++builds))
  assert.equal(await once(), await once())
})

test('the page script bundles for the browser without Node built-ins', async () => {
  const js = await bundlePlaygroundScript()
  assert.ok(js.length > 10_000)
  assert.ok(!/from\s*["']node:/.test(js))
})

test('the playground chats with a node from the browser', { skip: chromiumMissing(), timeout: 180_000 }, async (t) => {
  const relay = await startRelay()
  t.after(() => relay.close())
  const emptyRelay = await startRelay()
  t.after(() => emptyRelay.close())
  const node = await startNode({ relays: [relay.url], backend: createDemoBackend({ tokensPerSecond: 200, ttftMs: 20 }), price })
  t.after(() => node.stop())
  const coord = await startCoordinator({ relays: [relay.url] })
  t.after(() => coord.close())
  const origin = new URL(coord.url).origin

  const browser: Browser = await chromium.launch({
    executablePath: chromiumExecutablePath,
    args: chromiumArgs,
  })
  t.after(() => browser.close())

  await t.test('with a local key: streams, names the node, prices the job, keeps the prompt from the coordinator', async () => {
    const page = await (await browser.newContext()).newPage()
    const requests = recordRequests(page, origin)
    const problems = await recordProblems(page)
    await page.goto(`${coord.url}/playground`)
    assert.equal(await page.inputValue('#relays'), relay.url, "the page starts from the coordinator's relays")

    const prompt = `Say hello to the playground M-${Math.random().toString(16).slice(2)}`
    const { states, deltas, reply } = await chat(page, prompt)
    const expected = demoReply({ model: demoModelId, messages: [{ role: 'user', content: prompt }] })
    assert.equal(reply, expected)
    assert.ok(deltas > 1, `deltas: ${deltas}`)
    const partial = states.filter((s) => s !== expected && expected.startsWith(s))
    assert.ok(partial.length >= 2, `the reply grew in the page: ${partial.length} partial states`)

    assert.equal(await summary(page, 'node'), npubEncode(node.pubkey))
    const tokens = /^(\d+) in, (\d+) out$/.exec(await summary(page, 'tokens'))
    assert.ok(tokens, 'token counts shown')
    const usage = { promptTokens: Number(tokens[1]), completionTokens: Number(tokens[2]) }
    assert.ok(usage.completionTokens > 1)
    assert.equal(await summary(page, 'price'), formatNative(amountDue(usage, price)))
    assert.ok(Number(await summary(page, 'tps')) > 0, await summary(page, 'tps'))
    assert.match(await summary(page, 'ttft'), /^\d+ ms$/)

    const label = (await page.textContent('#signer')) ?? ''
    assert.match(label, /^local key/)
    const stored = await page.evaluate((k) => localStorage.getItem(k), localKeyStorageKey)
    assert.ok(stored && label.includes(npubEncode(getPublicKey(hexToBytes(stored)))), 'the label names the stored key')

    const paths = requests.map((r) => new URL(r.url).pathname)
    assert.deepEqual([...new Set(paths)].sort(), ['/playground', '/playground/app.js'])
    assert.ok(!requests.some((r) => r.url.includes(prompt.split(' ').at(-1)!) || r.body.includes(prompt.split(' ').at(-1)!)), 'no request to the coordinator carries the prompt')

    // An empty market, a relay nobody runs, and a URL that is no relay: each one says so.
    await page.fill('#relays', emptyRelay.url)
    await page.click('#connect')
    await page.waitForSelector('#status[data-state="no-models"]', { timeout: scaled(15_000) })
    assert.match((await page.textContent('#status')) ?? '', new RegExp(`^No model is live on ${emptyRelay.url}`))
    assert.ok(await page.isDisabled('#send'))

    const down = `ws://127.0.0.1:${await closedPort()}`
    await page.fill('#relays', down)
    await page.click('#connect')
    await page.waitForSelector('#status[data-state="error"]', { timeout: scaled(15_000) })
    assert.match((await page.textContent('#status')) ?? '', new RegExp(`^Could not reach ${down} `))

    await page.fill('#relays', 'http://example.invalid')
    await page.click('#connect')
    await page.waitForSelector('#status[data-state="error"]')
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.includes('is not a relay URL'))
    assert.deepEqual(await problems(), [])
  })

  await t.test('with a NIP-07 provider: the key stays in window.nostr and the job completes', async () => {
    const provider = closureNip07Provider(generateSecretKey())
    const context = await browser.newContext()
    // The provider runs in this process behind a binding; the page sees only window.nostr, as with an extension.
    await context.exposeFunction('testNip07', (method: string, a: unknown, b: unknown) => {
      if (method === 'getPublicKey') return provider.getPublicKey()
      if (method === 'signEvent') return provider.signEvent(a as Parameters<typeof provider.signEvent>[0])
      if (method === 'encrypt') return provider.nip44!.encrypt(a as string, b as string)
      return provider.nip44!.decrypt(a as string, b as string)
    })
    // Plain JavaScript text: a function would be serialized as tsx compiled it, with helpers the page lacks.
    await context.addInitScript({
      content: `
        const call = (method, a, b) => globalThis.testNip07(method, a, b)
        globalThis.nostr = {
          getPublicKey: () => call('getPublicKey'),
          signEvent: (template) => call('signEvent', template),
          nip44: { encrypt: (peer, text) => call('encrypt', peer, text), decrypt: (peer, text) => call('decrypt', peer, text) },
        }
      `,
    })
    const page = await context.newPage()
    const requests = recordRequests(page, origin)
    const problems = await recordProblems(page)
    await page.goto(`${coord.url}/playground`)
    const prompt = 'What does the playground sign with?'
    const { reply } = await chat(page, prompt)
    assert.equal(reply, demoReply({ model: demoModelId, messages: [{ role: 'user', content: prompt }] }))
    assert.equal(await page.textContent('#signer'), `NIP-07 (window.nostr): ${npubEncode(await provider.getPublicKey())}`)
    assert.equal(await summary(page, 'node'), npubEncode(node.pubkey))
    assert.ok(provider.calls.signEvent >= 1 && provider.calls.encrypt >= 1 && provider.calls.decrypt >= 1, JSON.stringify(provider.calls))
    assert.equal(await page.evaluate((k) => localStorage.getItem(k), localKeyStorageKey), null, 'no local key was made')
    assert.ok(!requests.some((r) => r.body.includes(prompt) || decodeURIComponent(r.url).includes(prompt)))
    assert.deepEqual(await problems(), [])
  })
})
