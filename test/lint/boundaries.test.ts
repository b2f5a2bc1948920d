// The import boundaries of eslint.config.js (README, "Parts"), through ESLint's Node API with the project's own
// config: each case of the fixture is linted as if it lived at its filePath, and the boundary rules fire exactly
// on the forbidden imports. The rules recognise a part by its folder name, so no other folder of modules in the
// source tree carries one of those names (an import of it would be refused as if it were the part).
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import { ESLint } from 'eslint'
import { boundaryCases } from './fixtures/boundaries.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const boundaryRules = new Set(['no-restricted-imports', 'no-restricted-syntax'])

describe('import boundaries', () => {
  const eslint = new ESLint({ cwd: root })

  for (const c of boundaryCases) {
    const name = `${c.forbidden ? 'refuses' : 'allows'} in ${c.filePath}: ${c.code.split('\n')[0]}`
    it(name, async () => {
      const [result] = await eslint.lintText(c.code, { filePath: join(root, c.filePath) })
      assert.ok(result)
      const fired = result.messages.filter((m) => m.ruleId !== null && boundaryRules.has(m.ruleId))
      const other = result.messages.filter((m) => !fired.includes(m))
      assert.deepEqual(other, [], 'the fixture is otherwise clean code')
      if (c.forbidden) {
        assert.equal(fired.length, 1, 'one boundary error')
        assert.match(fired[0]!.message, /may not import .*README, "Parts"/)
      } else assert.deepEqual(fired, [])
    })
  }

  it('no folder of modules but the parts and roots is named relay, node, client, coordinator, app, test, bench or scripts', () => {
    const reserved = new Set(['relay', 'node', 'client', 'coordinator', 'app', 'test', 'bench', 'scripts'])
    const allowed = new Set(['relay', 'node', 'client', 'src/coordinator', 'src/app'])
    const clashes: string[] = []
    const walk = (dir: string) => {
      const entries = readdirSync(dir, { withFileTypes: true })
      const rel = relative(root, dir)
      const name = rel.split('/').at(-1)!
      const hasModules = entries.some((e) => e.isFile() && /\.(ts|js)$/.test(e.name))
      if (hasModules && reserved.has(name) && !allowed.has(rel)) clashes.push(rel)
      for (const entry of entries) if (entry.isDirectory()) walk(join(dir, entry.name))
    }
    for (const top of ['src', 'relay', 'node', 'client']) walk(join(root, top))
    assert.deepEqual(clashes, [])
  })
})
