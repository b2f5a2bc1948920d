import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { buildCapabilityContent } from '../../node/capability.ts'
import { defaultNodeConfig, loadNodeConfig, nodeConfigPath, parsePriceFlag } from '../../node/config.ts'
import { capabilityContent } from '../../src/protocol/capability.ts'

test('config: defaults < node.json < env < flags; bad values name their source', () => {
  const home = mkdtempSync(join(tmpdir(), 'infernet-cfg-'))
  try {
    assert.equal(loadNodeConfig(home, { env: {} }).port, 8790)
    writeFileSync(nodeConfigPath(home), JSON.stringify({ port: 9000, priceIn: '5', models: ['a', 'b'] }))
    const fromFile = loadNodeConfig(home, { env: {} })
    assert.deepEqual([fromFile.port, fromFile.priceIn, fromFile.models], [9000, '5', ['a', 'b']])
    assert.equal(loadNodeConfig(home, { env: { INFERNET_NODE_PORT: '9100' } }).port, 9100)
    assert.equal(loadNodeConfig(home, { env: { INFERNET_NODE_PORT: '9100' }, flags: { port: 0 } }).port, 0)
    assert.throws(() => loadNodeConfig(home, { env: { INFERNET_BACKEND: 'gpt' } }), /INFERNET_BACKEND/)
    assert.throws(() => loadNodeConfig(home, { env: { INFERNET_PRICE_IN: '-1' } }), /INFERNET_PRICE_IN/)
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
  assert.deepEqual(parsePriceFlag('10, 20'), { priceIn: '10', priceOut: '20' })
  assert.throws(() => parsePriceFlag('10'), /IN,OUT/)
})

test('capability content from config is valid and announces the price and stream', () => {
  const config = defaultNodeConfig({ priceIn: '7', priceOut: '9', name: 'n1' })
  const content = buildCapabilityContent({ config, models: [{ id: 'llama3', backendId: 'llama3:latest', contextLength: 8192 }], gpus: [{ vendor: 'nvidia', name: 'H200', vramMiB: 143771 }], stream: 'http://127.0.0.1:8790' })
  assert.ok(capabilityContent.safeParse(content).success)
  assert.deepEqual(content.price, { input: '7', output: '9' })
  assert.equal(content.stream, 'http://127.0.0.1:8790')
  assert.equal(content.name, 'n1')
})
