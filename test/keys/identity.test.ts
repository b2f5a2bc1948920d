// The key file: created once with mode 0600, read back the same, refused when others can read it or it is not JSON,
// and created exactly once when several processes start on a fresh home at the same moment.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { createIdentity, loadIdentity, loadOrCreateIdentity, saveIdentity } from '../../src/keys/identity.ts'

const run = promisify(execFile)

describe('key file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'infernet-keys-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('is created once with mode 0600 and read back as the same key', () => {
    const path = join(dir, 'a', 'key.json')
    const first = loadOrCreateIdentity(path)
    assert.equal(first.created, true)
    if (process.platform !== 'win32') assert.equal(statSync(path).mode & 0o777, 0o600)
    const again = loadOrCreateIdentity(path)
    assert.equal(again.created, false)
    assert.equal(again.identity.npub, first.identity.npub)
    assert.deepEqual(readdirSync(join(dir, 'a')), ['key.json'], 'no temporary file is left behind')
  })

  it('is replaced whole by saveIdentity, and refused when others can read it or it is not JSON', () => {
    const path = join(dir, 'b', 'key.json')
    saveIdentity(path, createIdentity())
    const replacement = createIdentity()
    saveIdentity(path, replacement)
    assert.equal(loadIdentity(path).npub, replacement.npub)
    assert.deepEqual(readdirSync(join(dir, 'b')), ['key.json'])
    if (process.platform !== 'win32') {
      chmodSync(path, 0o644)
      assert.throws(() => loadIdentity(path), /permissions|0644|mode/i)
      chmodSync(path, 0o600)
    }
    writeFileSync(path, '{"nsec": "nsec1', { mode: 0o600 })
    assert.throws(() => loadIdentity(path), /not valid JSON/)
  })

  it('started by several processes at once on a fresh home, ends up as one key that all of them use', async () => {
    const path = join(dir, 'c', 'key.json')
    const script = `import { loadOrCreateIdentity } from ${JSON.stringify(new URL('../../src/keys/identity.ts', import.meta.url).href)}; process.stdout.write(loadOrCreateIdentity(process.argv[1]).identity.npub)`
    const outs = await Promise.all(Array.from({ length: 6 }, () => run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, path])))
    const npubs = new Set(outs.map((o) => o.stdout))
    assert.equal(npubs.size, 1, `${npubs.size} different keys`)
    assert.equal(loadIdentity(path).npub, [...npubs][0])
    assert.deepEqual(readdirSync(join(dir, 'c')), ['key.json'])
  })
})
