// The error rules of STYLE.md ("Errors") over the source tree: every error class name is unique and is its `name`,
// every static `code` is kebab-case, and the user paths (commands, composition roots, the gateway, the SDK's
// client) throw the project's typed errors (src/errors/base.ts), never a plain Error.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'

const root = fileURLToPath(new URL('../../', import.meta.url))

function modules(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name)
    if (e.isDirectory()) return modules(path)
    return e.name.endsWith('.ts') ? [path] : []
  })
}

const files = ['src', 'relay', 'node', 'client'].flatMap(modules).map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }))

type ErrorClass = { name: string; path: string; nameField: string | undefined; code: string | undefined }

function errorClasses(): ErrorClass[] {
  const found: ErrorClass[] = []
  for (const { path, text } of files) {
    for (const m of text.matchAll(/class (\w+) extends (\w*Error)\b[^{]*\{([\s\S]*?)\n\}/g)) {
      const body = m[3]!
      found.push({
        name: m[1]!,
        path,
        nameField: /override name = '([^']*)'/.exec(body)?.[1],
        code: /override code = '([^']*)'/.exec(body)?.[1],
      })
    }
  }
  return found
}

describe('errors', () => {
  const classes = errorClasses()

  it('finds the error classes', () => {
    assert.ok(classes.length > 20, `${classes.length} classes`)
    assert.ok(classes.some((c) => c.name === 'BaseError'))
  })

  it('gives every error class a unique name, which is also its `name`', () => {
    const byName = new Map<string, string[]>()
    for (const c of classes) byName.set(c.name, [...(byName.get(c.name) ?? []), c.path])
    assert.deepEqual([...byName].filter(([, paths]) => paths.length > 1), [])
    assert.deepEqual(
      classes.filter((c) => c.name !== 'BaseError' && c.nameField !== c.name).map((c) => `${c.path}: ${c.name} is named ${c.nameField}`),
      [],
    )
  })

  it('writes every static code in kebab-case', () => {
    assert.deepEqual(
      classes.filter((c) => c.code !== undefined && !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(c.code)).map((c) => `${c.path}: ${c.name} ${c.code}`),
      [],
    )
  })

  it('throws no plain Error on a user path', () => {
    const userPath = (p: string) => p.includes('/commands/') || p.startsWith('src/app/') || p.startsWith('src/coordinator/gateway/') || p === 'client/client.ts'
    const plain = files.filter((f) => userPath(f.path) && /throw new Error\(/.test(f.text)).map((f) => f.path)
    assert.deepEqual(plain, [])
    assert.ok(files.some((f) => userPath(f.path)))
  })
})
