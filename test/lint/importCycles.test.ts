// No import cycle in the source tree: every relative import of a .ts/.js module under src/, relay/, node/ and
// client/ (static, type-only, re-export and import()) is an edge, and the graph has no strongly connected
// component of more than one module. A cycle means a type or helper belongs in a leaf module that both sides import
// (for a command: commands/arguments.ts, README "Parts").
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'

const root = fileURLToPath(new URL('../../', import.meta.url))

function modules(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name)
    if (e.isDirectory()) return modules(path)
    return /\.(ts|js)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : []
  })
}

const specifier = /(?:^|[\s;}])(?:import|export)\s(?:[^'"`;]*?\sfrom\s*)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g

/** The modules of the tree that `file` imports by a relative specifier. */
function importsOf(file: string, text: string): string[] {
  const out = new Set<string>()
  for (const m of text.matchAll(specifier)) {
    const spec = m[1] ?? m[2]!
    if (!spec.startsWith('.')) continue
    const target = relative(root, join(root, dirname(file), spec))
    if (existsSync(join(root, target))) out.add(target)
  }
  return [...out]
}

/** Tarjan's strongly connected components with more than one module (or a module importing itself). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0
  const indices = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (v: string) => {
    indices.set(v, index)
    low.set(v, index++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!))
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        component.push(w)
      } while (w !== v)
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort())
    }
  }
  for (const v of [...graph.keys()].sort()) if (!indices.has(v)) visit(v)
  return found
}

describe('import cycles', () => {
  it('finds a cycle when there is one, and none in a chain', () => {
    assert.deepEqual(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])), [['a', 'b', 'c']])
    assert.deepEqual(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', []]])), [])
    const text = `import type { A } from './a.ts'\nexport { b } from "../b.ts"\nimport {\n  c,\n} from './c.ts'\nconst d = await import('./d.ts')\nimport 'node:fs'\n`
    const specs = [...text.matchAll(specifier)].map((m) => m[1] ?? m[2])
    assert.deepEqual(specs, ['./a.ts', '../b.ts', './c.ts', './d.ts', 'node:fs'])
  })

  it('has none in src/, relay/, node/ and client/', () => {
    const graph = new Map<string, string[]>()
    for (const file of ['src', 'relay', 'node', 'client'].flatMap(modules)) graph.set(file, importsOf(file, readFileSync(join(root, file), 'utf8')))
    assert.ok(graph.size > 100, `read the tree (${graph.size} modules)`)
    assert.deepEqual(cycles(graph), [])
  })
})
