// The status page in headless Chromium (Debian's package, driven by playwright-core): visible nodes, models and
// prices, and the polling script picking up a node that joins after the page loaded.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { chromium } from 'playwright-core'
import { chromiumArgs, chromiumExecutablePath, chromiumMissing } from '../helpers/chromium.ts'
import { startCoordinator } from '../helpers/coordinator.ts'
import { fakeNode } from './fixtures.ts'

const skip = chromiumMissing()

test('the status page shows nodes, models and prices, and updates itself', { skip }, async (t) => {
  const coord = await startCoordinator({ relays: [], config: { gateway: false } })
  t.after(() => coord.close())
  const ingest = async (name: string, o: Parameters<typeof fakeNode>[1]) => {
    for (const e of (await fakeNode(name, o)).events) assert.ok(coord.coordinator.indexer.ingest(e))
    coord.coordinator.indexer.flush()
  }
  await ingest('page-a', { name: 'gpu-box-alpha', models: ['llama3:8b'], price: { input: '150000', output: '600000' }, region: 'eu-west' })
  await ingest('page-b', { name: 'gpu-box-beta', models: ['qwen2.5:7b'], price: { input: '90000', output: '300000' }, region: 'us-east' })

  const browser = await chromium.launch({ executablePath: chromiumExecutablePath, args: chromiumArgs })
  t.after(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  await page.goto(coord.url)
  const body = await page.locator('body').innerText()
  for (const visible of ['gpu-box-alpha', 'gpu-box-beta', 'llama3:8b', 'qwen2.5:7b', '600000 wei', '90000 wei', 'eu-west', 'live nodes', 'tokens/s']) {
    assert.ok(body.includes(visible), `page shows ${visible}`)
  }
  assert.equal(await page.locator('#nodes').innerText(), '2')
  const shot = await page.screenshot({ fullPage: true, ...(process.env.INFERNET_SCREENSHOT ? { path: process.env.INFERNET_SCREENSHOT } : {}) })
  assert.deepEqual([...shot.subarray(1, 4)], [0x50, 0x4e, 0x47], 'a PNG screenshot')
  assert.ok(shot.length > 5000)

  // A node joins: the polling script redraws without a reload.
  await ingest('page-c', { name: 'gpu-box-gamma', models: ['mistral'], price: { input: '1', output: '2' } })
  await page.waitForFunction(() => document.querySelector('#nodes')?.textContent === '3', undefined, { timeout: 10_000 })
  await page.locator('#node-table', { hasText: 'gpu-box-gamma' }).waitFor({ timeout: 5000 })
  assert.ok((await page.locator('#model-table').innerText()).includes('mistral'))
  // The redraw formats amounts as the server did (the same function runs in the page).
  assert.match(await page.locator('#node-table tr', { hasText: 'gpu-box-gamma' }).innerText(), /\b1 wei\s+2 wei\b/)
  assert.match(await page.locator('#node-table tr', { hasText: 'gpu-box-alpha' }).innerText(), /150000 wei\s+600000 wei/)
})
