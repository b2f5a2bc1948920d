// The status page in headless Chromium (Debian's package, driven by playwright-core): visible nodes, models and
// prices, the polling script picking up a node that joins after the page loaded, and on a real network (relay,
// coordinator, a node on a fake Ollama and one on the demo backend) each node's backend, model digests, audits and
// the last hour's charts, at desktop and phone widths. Screenshots are kept in a temp folder (paths in the
// diagnostics), or in INFERNET_SCREENSHOT_DIR when set.
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { chromium, type Browser, type Page } from 'playwright-core'
import { createDemoBackend } from '../../node/backends/demo.ts'
import { chromiumArgs, chromiumExecutablePath, chromiumMissing } from '../helpers/chromium.ts'
import { startCoordinator } from '../helpers/coordinator.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import { waitFor } from '../helpers/network.ts'
import { startNode } from '../helpers/node.ts'
import { startRelay } from '../helpers/relay.ts'
import { fakeNode } from './fixtures.ts'

const skip = chromiumMissing()

async function launch(t: TestContext): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: chromiumExecutablePath, args: chromiumArgs })
  t.after(() => browser.close())
  return browser
}

/** Script errors on the page fail the test: a shipped function that does not run in the browser shows up here. */
function failOnPageErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  return errors
}

async function screenshot(t: TestContext, page: Page, dir: string, name: string): Promise<void> {
  const path = join(dir, name)
  const shot = await page.screenshot({ fullPage: true, path })
  assert.deepEqual([...shot.subarray(1, 4)], [0x50, 0x4e, 0x47], 'a PNG screenshot')
  assert.ok(shot.length > 5000, `${name} has content (${shot.length} bytes)`)
  t.diagnostic(`screenshot: ${path}`)
}

function screenshotDir(): string {
  const dir = process.env.INFERNET_SCREENSHOT_DIR
  if (!dir) return mkdtempSync(join(tmpdir(), 'infernet-status-'))
  mkdirSync(dir, { recursive: true })
  return dir
}

test('the status page shows nodes, models and prices, and updates itself', { skip }, async (t) => {
  const coord = await startCoordinator({ relays: [], config: { gateway: false } })
  t.after(() => coord.close())
  const ingest = async (name: string, o: Parameters<typeof fakeNode>[1]) => {
    for (const e of (await fakeNode(name, o)).events) assert.ok(coord.coordinator.indexer.ingest(e))
    coord.coordinator.indexer.flush()
  }
  await ingest('page-a', { name: 'gpu-box-alpha', models: ['llama3:8b'], price: { input: '150000', output: '600000' }, region: 'eu-west' })
  await ingest('page-b', { name: 'gpu-box-beta', models: ['qwen2.5:7b'], price: { input: '90000', output: '300000' }, region: 'us-east' })

  const page = await (await launch(t)).newPage({ viewport: { width: 1280, height: 800 } })
  const errors = failOnPageErrors(page)
  await page.goto(coord.url)
  const body = await page.locator('body').innerText()
  for (const visible of ['gpu-box-alpha', 'gpu-box-beta', 'llama3:8b', 'qwen2.5:7b', '600000 wei', '90000 wei', 'eu-west', 'live nodes', 'tokens/s']) {
    assert.ok(body.includes(visible), `page shows ${visible}`)
  }
  assert.equal(await page.locator('#nodes').innerText(), '2')

  // A node joins: the polling script redraws without a reload.
  await ingest('page-c', { name: 'gpu-box-gamma', models: ['mistral'], price: { input: '1', output: '2' } })
  await page.waitForFunction(() => document.querySelector('#nodes')?.textContent === '3', undefined, { timeout: 10_000 })
  await page.locator('#node-table', { hasText: 'gpu-box-gamma' }).waitFor({ timeout: 5000 })
  assert.ok((await page.locator('#model-table').innerText()).includes('mistral'))
  // The redraw formats amounts as the server did (the same function runs in the page).
  assert.match(await page.locator('#node-table tr', { hasText: 'gpu-box-gamma' }).innerText(), /\b1 wei\s+2 wei\b/)
  assert.match(await page.locator('#node-table tr', { hasText: 'gpu-box-alpha' }).innerText(), /150000 wei\s+600000 wei/)
  assert.deepEqual(errors, [])
})

type History = { buckets: { jobs: number; tokens: number; failures: number }[] }

test('on a real network the page names backends, digests and audits, charts the last hour, and fits a phone', { skip }, async (t) => {
  const relay = await startRelay()
  t.after(() => relay.close())
  const ollama = await startFakeOllama({ models: ['llama3'], reply: 'Served through the coordinator by a node on a fake Ollama.' })
  t.after(() => ollama.close())
  const real = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: ollama.url }, config: { name: 'ollama-box' } })
  t.after(() => real.stop())
  const demo = await startNode({ relays: [relay.url], backend: createDemoBackend({ ttftMs: 0, tokensPerSecond: 5000 }), config: { name: 'demo-box' } })
  t.after(() => demo.stop())
  const coord = await startCoordinator({ relays: [relay.url] })
  t.after(() => coord.close())
  const stats = async () => (await (await fetch(`${coord.url}/api/v1/stats`)).json()) as { nodes: number }
  await waitFor(async () => (await stats()).nodes === 2, 'both nodes live on the coordinator')

  // Jobs through the gateway, three per node, then one the backend breaks off mid-stream (a node-side failure).
  const chat = (model: string) =>
    fetch(`${coord.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello' }] }) })
  for (const model of ['llama3', 'demo', 'llama3', 'demo', 'llama3', 'demo']) assert.equal((await chat(model)).status, 200, `a ${model} job`)
  ollama.setFaults({ midStreamErrorAfter: 1 })
  await (await chat('llama3')).text()
  ollama.setFaults({})
  const sum = (h: History, k: 'jobs' | 'tokens' | 'failures') => h.buckets.reduce((n, b) => n + b[k], 0)
  const history = await waitFor(
    async () => {
      const h = (await (await fetch(`${coord.url}/api/v1/stats/history?window=3600`)).json()) as History
      return sum(h, 'jobs') >= 6 && sum(h, 'failures') >= 1 && h
    },
    'six results and one failure in the history',
  )

  const browser = await launch(t)
  const dir = screenshotDir()
  const desktop = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  const errors = failOnPageErrors(desktop)
  await desktop.goto(coord.url)
  const nodeRow = (page: Page, name: string) => page.locator('#node-table tbody tr', { hasText: name })
  assert.match(await nodeRow(desktop, 'demo-box').locator('td[data-label="Backend"]').innerText(), /^demo \(not a real model\)$/)
  assert.equal(await nodeRow(desktop, 'ollama-box').locator('td[data-label="Backend"]').innerText(), 'ollama')
  for (const name of ['demo-box', 'ollama-box']) assert.equal(await nodeRow(desktop, name).locator('td[data-label="Audits"]').innerText(), 'no audits yet')
  // The fake Ollama announces a manifest digest: shortened on the page, the whole of it in the title and one tap away.
  const digest = desktop.locator('#model-table tbody tr', { hasText: 'llama3' }).locator('td[data-label="Digest"] summary')
  const full = await digest.getAttribute('title')
  assert.match(full ?? '', /^ollama:[0-9a-f]{64}$/)
  assert.equal(await digest.innerText(), `${full!.slice(0, 'ollama:'.length + 12)}…`)
  await digest.click()
  assert.equal(await desktop.locator('#model-table tbody tr', { hasText: 'llama3' }).locator('.digest .full').innerText(), full)
  assert.equal(await desktop.locator('#model-table tbody tr', { hasText: 'demo' }).locator('td[data-label="Digest"]').innerText(), '—')

  // Charts: inline SVG, a bar per minute with jobs; the bars add up to the history the API gave.
  const bars = (id: string) => desktop.locator(`#${id} rect.bar`).evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('data-v'))))
  const jobsBars = await bars('chart-jobs')
  assert.ok(jobsBars.length > 0 && jobsBars.every((v) => v > 0), 'jobs/s has bars')
  assert.equal(Math.round(jobsBars.reduce((a, b) => a + b, 0) * 60), sum(history, 'jobs'))
  assert.ok((await bars('chart-tokens')).length > 0, 'tokens/s has bars')
  assert.ok((await bars('chart-failures')).length > 0, 'failures/min has bars')
  assert.equal(await desktop.locator('link[rel=stylesheet], script[src], img').count(), 0, 'no external assets')

  // A redraw by the page's script (a forced tick that also fetches the history) builds the same tables and charts,
  // and leaves the opened digest open.
  const modelsBefore = await desktop.locator('#model-table tbody').innerHTML()
  await desktop.evaluate(() => (window as unknown as { tick(n: number): Promise<void> }).tick(5))
  assert.equal(await desktop.locator('#model-table tbody').innerHTML(), modelsBefore)
  assert.equal(await desktop.locator('#model-table details[open]').count(), 1, 'the opened digest stays open')
  assert.ok((await bars('chart-jobs')).length > 0)
  assert.equal(await nodeRow(desktop, 'demo-box').locator('td[data-label="Backend"]').innerText(), 'demo (not a real model)')
  await screenshot(t, desktop, dir, 'status-desktop.png')

  // A phone: tables turn into cards, and nothing is wider than the screen.
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 })
  errors.push(...failOnPageErrors(phone))
  await phone.goto(coord.url)
  const fits = async (state: string) => {
    const fit = await phone.evaluate(() => {
      const width = window.innerWidth
      const outside = [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > width + 0.5 && !el.closest('.scroll'))
        .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.className}`)
      const wrappers = [...document.querySelectorAll('.scroll')].map((el) => el.scrollWidth - el.clientWidth)
      return { width, scrollWidth: document.documentElement.scrollWidth, outside, wrappers, thead: getComputedStyle(document.querySelector('thead')!).display }
    })
    assert.equal(fit.width, 390)
    assert.ok(fit.scrollWidth <= fit.width, `${state}: page is ${fit.scrollWidth}px wide on a ${fit.width}px screen`)
    assert.deepEqual(fit.outside, [], `${state}: no element sticks out of the screen`)
    assert.equal(fit.thead, 'none', `${state}: tables read as cards`)
    assert.ok(fit.wrappers.every((over) => over <= 0), `${state}: no table needs sideways scrolling (${fit.wrappers.join(', ')})`)
  }
  await fits('as loaded')
  await phone.locator('#model-table .digest summary').first().tap()
  assert.equal(await phone.locator('#model-table details[open]').count(), 1)
  await fits('with the digest opened')
  assert.equal(await nodeRow(phone, 'demo-box').locator('td[data-label="Backend"]').innerText(), 'demo (not a real model)')
  await screenshot(t, phone, dir, 'status-phone.png')
  assert.deepEqual(errors, [])
})
