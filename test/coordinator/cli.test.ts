// `infernet coordinator` as a process: keys file, refusal to expose an open gateway, --help listing the environment.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { parseApiKeyFile } from '../../src/coordinator/apiKeyFile.ts'
import { KeysFileError, loadKeysFile } from '../../src/coordinator/apiKeys.ts'
import { spawnCoordinatorProcess, tempDir } from '../helpers/coordinator.ts'

const bin = new URL('../../bin/infernet.js', import.meta.url).pathname

test('keys file: valid entries load, malformed ones fail with a clear error', (t) => {
  const dir = tempDir()
  t.after(() => dir.remove())
  const good = join(dir.path, 'keys.json')
  writeFileSync(good, JSON.stringify([{ key: 'sk-alice-123456', name: 'alice', budget: '1000', ratePerMinute: 60 }, { key: 'sk-bob-12345678' }]))
  assert.deepEqual(loadKeysFile(good).map((k) => k.name ?? null), ['alice', null])
  const bad = join(dir.path, 'bad.json')
  writeFileSync(bad, JSON.stringify([{ key: 'short' }]))
  assert.throws(() => loadKeysFile(bad), (err: unknown) => err instanceof KeysFileError && /0\.key/.test(err.message))
  writeFileSync(bad, '{not json')
  assert.throws(() => loadKeysFile(bad), KeysFileError)
})

test('the CLI refuses a non-loopback host without API keys, and serves with a keys file', async (t) => {
  const dir = tempDir()
  t.after(() => dir.remove())
  const refused = spawnSync(process.execPath, [bin, 'coordinator', '--home', dir.path, '--host', '0.0.0.0', '--port', '0', '--db', ':memory:', '--relay', 'ws://127.0.0.1:9', '--json'], {
    encoding: 'utf8',
    timeout: 30_000,
  })
  assert.equal(refused.status, 1)
  assert.match(refused.stderr, /Refusing to serve on 0\.0\.0\.0 without API keys/)
  assert.equal(refused.stdout, '')

  const keys = join(dir.path, 'keys.json')
  writeFileSync(keys, JSON.stringify([{ key: 'sk-cli-test-key', name: 'cli' }]))
  const coord = await spawnCoordinatorProcess({ relays: ['ws://127.0.0.1:9'], dbPath: join(dir.path, 'c.db'), home: dir.path, args: ['--keys-file', keys] })
  t.after(() => coord.stop())
  assert.equal((await fetch(`${coord.url}/v1/models`)).status, 401)
  const ok = await fetch(`${coord.url}/v1/models`, { headers: { authorization: 'Bearer sk-cli-test-key' } })
  assert.equal(ok.status, 200)
  assert.deepEqual(await ok.json(), { object: 'list', data: [] })

  const help = spawnSync(process.execPath, [bin, 'coordinator', '--help'], { encoding: 'utf8', timeout: 30_000 })
  assert.equal(help.status, 0)
  assert.match(help.stdout, /INFERNET_COORDINATOR_KEYS_FILE/)
  assert.match(help.stdout, /--api-key/)
})

test('--api-key-file: keys one per line (a Docker secret) are accepted; a missing or empty file is refused by name', async (t) => {
  const dir = tempDir()
  t.after(() => dir.remove())
  assert.deepEqual(parseApiKeyFile('# gateway\nsk-one-1234567\n\n  sk-two-7654321  \r\n'), ['sk-one-1234567', 'sk-two-7654321'])
  const run = (file: string) =>
    spawnSync(process.execPath, [bin, 'coordinator', '--home', dir.path, '--host', '0.0.0.0', '--port', '0', '--db', ':memory:', '--relay', 'ws://127.0.0.1:9', '--api-key-file', file], { encoding: 'utf8', timeout: 30_000 })
  const missing = run(join(dir.path, 'nope.secret'))
  assert.equal(missing.status, 1)
  assert.match(missing.stderr, /API key file .*nope\.secret cannot be used: no such file/)
  const empty = join(dir.path, 'empty.secret')
  writeFileSync(empty, '\n')
  assert.match(run(empty).stderr, /Refusing to serve on 0\.0\.0\.0 without API keys/)

  const file = join(dir.path, 'gateway-api-key.secret')
  writeFileSync(file, 'sk-secret-file-key\n')
  const coord = await spawnCoordinatorProcess({ relays: ['ws://127.0.0.1:9'], dbPath: join(dir.path, 'c.db'), home: dir.path, args: ['--api-key-file', file] })
  t.after(() => coord.stop())
  assert.equal((await fetch(`${coord.url}/v1/models`)).status, 401)
  assert.equal((await fetch(`${coord.url}/v1/models`, { headers: { authorization: 'Bearer sk-secret-file-key' } })).status, 200)
})
