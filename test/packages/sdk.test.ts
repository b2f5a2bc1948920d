// @infernet/sdk as someone else's project gets it: `npm run build:packages`, `npm pack` in packages/sdk, and the
// tarball installed with npm into a scratch project in a temp dir (outside the repository, so nothing resolves
// from the repository's node_modules; its dependencies come from npm's cache or the registry). There:
// - the SDK snippet of README.md, and the one of packages/sdk/README.md (what npm shows), each cut out of its file,
//   runs with node as written but for the relay URL (replaced as the READMEs tell a user to), streams one job's
//   text from a network this test starts (relay, node, fake Ollama serving `demo`), and the process exits after
//   `await client.close()`;
// - a TypeScript file importing the package (and `@infernet/sdk/payments` with viem) typechecks with the
//   repository's tsc and no @types/node; a script signs receipts through `@infernet/sdk/payments` and verifies them;
// - in headless Chromium, a page bundled from the installed package (esbuild, platform "browser", as a web app's
//   bundler would) and the package's self-contained `@infernet/sdk/browser` module each run a job.
// The build, pack and install happen once, before the tests. Only the Chromium test skips, and only where
// Chromium cannot be installed (scripts/ensureChromium.sh).
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { chromium } from 'playwright-core'
import { chromiumArgs, chromiumExecutablePath, chromiumMissing } from '../helpers/chromium.ts'
import { startFakeOllama, type FakeOllamaServer } from '../helpers/fakeBackends/ollama.ts'
import { startNode, type TestNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const reply = 'Hello from a node, through a package installed from its tarball.'
/** The relay URL the README's snippet names (`npm start`'s); the README tells readers to put theirs in its place. */
const readmeRelay = 'ws://127.0.0.1:7777'

type Ran = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Runs a command to its end; past `timeoutMs` it is killed (and the caller's assertion on `code` says so). */
function run(command: string, args: string[], options: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv | undefined }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], timeout: options.timeoutMs, killSignal: 'SIGKILL' })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
}

async function ok(what: string, ran: Promise<Ran>): Promise<Ran> {
  const r = await ran
  assert.equal(r.code, 0, `${what}: ${r.signal ? `killed (${r.signal}) after its time limit` : `exit ${r.code}`}\n${r.stdout}\n${r.stderr}`)
  return r
}

/** A README's SDK example: the one fenced block in it that imports the package. */
function readmeSnippet(file: string): string {
  const readme = readFileSync(join(root, file), 'utf8')
  const blocks = [...readme.matchAll(/```(\w*)\n([\s\S]*?)```/g)].filter((m) => m[2]!.includes("from '@infernet/sdk'"))
  assert.equal(blocks.length, 1, `${file} has one code block importing @infernet/sdk`)
  assert.equal(blocks[0]![1], 'js', `the snippet in ${file} is plain JavaScript, so node runs it as written`)
  return blocks[0]![2]!
}

/** The repository's tsc on a file that uses the package's API, strictly, with the DOM's types and not Node's. */
function startTypecheck(scratch: string): Promise<Ran> {
  writeFileSync(
    join(scratch, 'check.ts'),
    `import { InfernetClient, createLocalSigner, generateSecretKey, ClientClosedError, BaseError, type ChatResult, type Signer } from '@infernet/sdk'
import * as browser from '@infernet/sdk/browser'
import { createReceiptBook, receiptBookIssuer, type ReceiptBook } from '@infernet/sdk/payments'
import { privateKeyToAccount } from 'viem/accounts'

const signer: Signer = createLocalSigner(generateSecretKey())
const domain = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' } as const
const book: ReceiptBook = createReceiptBook({ account: privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'), domain, budget: 10n ** 15n })
const client = new InfernetClient({ relays: ['wss://relay.example'], signer, routing: { region: 'eu-west' }, budget: 10n ** 15n, receipts: receiptBookIssuer({ book, domain }) })
export async function chatOnce(): Promise<string> {
  const stream = client.chat({ model: 'demo', messages: [{ role: 'user', content: 'Hi' }], params: { max_tokens: 8 } })
  let text = ''
  for await (const delta of stream) text += delta.text
  const result: ChatResult = await stream.result
  const cost: bigint = result.cost
  await client.close()
  return \`\${text} \${result.usage.completionTokens} \${cost}\`
}
export const isBase: boolean = new ClientClosedError() instanceof BaseError
export const sameApi: typeof InfernetClient = browser.InfernetClient
// The declarations are really read (an any would make these unused, which tsc reports):
// @ts-expect-error: a chat needs a model
client.chat({ messages: [] })
// @ts-expect-error: relays are URLs
new InfernetClient({ relays: [7777], signer })
`,
  )
  const compilerOptions = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, exactOptionalPropertyTypes: true, lib: ['ES2023', 'DOM'], types: [], noEmit: true }
  writeFileSync(join(scratch, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['check.ts'] }))
  const tsc = join(createRequire(import.meta.url).resolve('typescript/package.json'), '..', 'bin', 'tsc')
  const ran = run(process.execPath, [tsc, '--noEmit', '-p', scratch], { cwd: scratch, timeoutMs: 90_000 })
  ran.catch(() => {}) // awaited by its test; a failed before() never gets there
  return ran
}

describe('@infernet/sdk, packed and installed into another project', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'infernet-sdk-scratch-'))
  let packed: { filename: string; files: { path: string }[] }
  let backend: FakeOllamaServer
  let relay: TestRelay
  let node: TestNode
  /** Started once the package is installed, beside the other tests (tsc alone takes seconds). */
  let typecheck: Promise<Ran>

  before(async () => {
    const network = (async () => {
      backend = await startFakeOllama({ models: ['demo'], reply })
      relay = await startRelay()
      node = await startNode({ relays: [relay.url], backend: { kind: 'ollama', baseUrl: backend.url } })
    })()
    network.catch(() => {}) // awaited below, once the package is installed; a build failure must not orphan it
    await ok('npm run build:packages', run('npm', ['run', '--silent', 'build:packages'], { cwd: root, timeoutMs: 120_000 }))
    const pack = await ok('npm pack', run('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: join(root, 'packages', 'sdk'), timeoutMs: 60_000 }))
    packed = (JSON.parse(pack.stdout) as (typeof packed)[])[0]!
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }))
    const { ws, viem } = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies
    const install = ['install', '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock', join(scratch, packed.filename), `ws@${ws}`, `viem@${viem}`]
    await ok('npm install <tarball>', run('npm', install, { cwd: scratch, timeoutMs: 120_000 }))
    typecheck = startTypecheck(scratch)
    await network
  })

  after(async () => {
    await typecheck?.catch(() => {})
    await node?.stop()
    await relay?.close()
    await backend?.close()
    rmSync(scratch, { recursive: true, force: true })
  })

  it('packs built JavaScript, declarations and the browser bundle, and no TypeScript source', () => {
    const paths = packed.files.map((f) => f.path)
    for (const p of ['package.json', 'dist/index.js', 'dist/infernet.browser.js', 'dist/types/client/index.d.ts']) assert.ok(paths.includes(p), `the tarball has ${p}`)
    assert.deepEqual(paths.filter((p) => /\.ts$/.test(p) && !p.endsWith('.d.ts')), [])
    const installed = JSON.parse(readFileSync(join(scratch, 'node_modules', '@infernet', 'sdk', 'package.json'), 'utf8')) as { exports: Record<string, unknown> }
    assert.deepEqual(Object.keys(installed.exports).sort(), ['.', './browser', './package.json', './payments'])
  })

  it('@infernet/sdk/payments signs receipts a node accepts as an issuer of InfernetClient, with viem as the peer', async () => {
    writeFileSync(
      join(scratch, 'pay.mjs'),
      `import { createReceiptBook, receiptBookIssuer, verifyReceipt, receiptFromJson } from '@infernet/sdk/payments'
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts'
const account = privateKeyToAccount(generatePrivateKey())
const domain = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' }
const payee = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const book = createReceiptBook({ account, domain, budget: 1000n })
const issuer = receiptBookIssuer({ book, domain })
const payment = { chainId: 31337, contract: domain.verifyingContract, token: '0x0000000000000000000000000000000000000000', payee, payeeProof: '0x' + '00'.repeat(65), creditLimit: '500' }
const first = await issuer.issue({ node: 'n', job: '11'.repeat(32), amount: 300n, cumulative: 300n, payment })
const second = await issuer.issue({ node: 'n', job: '22'.repeat(32), amount: 200n, cumulative: 500n, payment })
const receipt = receiptFromJson(second)
const verified = await verifyReceipt(receipt, domain)
console.log(JSON.stringify({ first: first.cumulative, second: second.cumulative, jobs: second.jobs.length, signer: verified.ok && verified.signer === account.address }))
`,
    )
    const r = await ok('node pay.mjs', run(process.execPath, ['pay.mjs'], { cwd: scratch, timeoutMs: 30_000 }))
    assert.deepEqual(JSON.parse(r.stdout.trim()), { first: '300', second: '500', jobs: 2, signer: true })
  })

  for (const file of ['README.md', 'packages/sdk/README.md']) {
    it(`runs the snippet of ${file} as written (but for the relay URL): it streams the reply and the process exits`, async () => {
      const snippet = readmeSnippet(file)
      assert.ok(snippet.includes(`'${readmeRelay}'`), `the snippet names ${readmeRelay}, the relay URL the README says to replace`)
      const script = `${file.replaceAll('/', '-')}.mjs`
      writeFileSync(join(scratch, script), snippet.replaceAll(readmeRelay, relay.url))
      // A snippet that leaves a socket or timer open after close() never exits: the time limit turns that into a failure.
      const r = await ok(`node ${script}`, run(process.execPath, [script], { cwd: scratch, timeoutMs: 30_000 }))
      assert.ok(r.stdout.startsWith(reply), `the streamed text comes first on stdout: ${JSON.stringify(r.stdout)}`)
      assert.ok(r.stdout.includes(node.pubkey.slice(0, 12)), `the summary names the node: ${JSON.stringify(r.stdout)}`)
    })
  }

  it('typechecks a TypeScript file that imports the package, without Node types', async () => {
    await ok('tsc --noEmit in the scratch project', typecheck)
  })

  it('runs a job in headless Chromium, bundled by a web app and as the self-contained browser module', { skip: chromiumMissing() }, async (t) => {
    // A web app's bundle: esbuild resolves @infernet/sdk and its dependencies from the scratch project, for the browser.
    writeFileSync(
      join(scratch, 'app.js'),
      `import { InfernetClient, createLocalSigner, generateSecretKey } from '@infernet/sdk'
export async function chatOnce(relayUrl) {
  const client = new InfernetClient({ relays: [relayUrl], signer: createLocalSigner(generateSecretKey()) })
  const stream = client.chat({ model: 'demo', messages: [{ role: 'user', content: 'Hi' }] })
  let streamed = ''
  for await (const delta of stream) streamed += delta.text
  const { node } = await stream.result
  await client.close()
  return { streamed, node }
}
`,
    )
    const app = await build({ entryPoints: [join(scratch, 'app.js')], absWorkingDir: scratch, bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent' })
    const standalone = readFileSync(createRequire(join(scratch, 'package.json')).resolve('@infernet/sdk/browser'), 'utf8')
    const scripts: Record<string, string> = { '/app.js': app.outputFiles[0]!.text, '/infernet.browser.js': standalone }
    const server = createServer((req, res) => {
      const js = scripts[req.url ?? '']
      if (js) res.writeHead(200, { 'content-type': 'text/javascript' }).end(js)
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>infernet</title>')
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    t.after(() => new Promise<void>((r) => server.close(() => r())))

    const browser = await chromium.launch({ executablePath: chromiumExecutablePath, args: chromiumArgs })
    t.after(() => browser.close())
    const page = await browser.newPage()
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
    const out = await page.evaluate(async (relayUrl) => {
      const app = await import('/app.js' as string)
      const bundled = await app.chatOnce(relayUrl)
      const m = await import('/infernet.browser.js' as string)
      const client = new m.InfernetClient({ relays: [relayUrl], signer: m.createLocalSigner(m.generateSecretKey()) })
      const stream = client.chat({ model: 'demo', messages: [{ role: 'user', content: 'Hi' }] })
      let streamed = ''
      for await (const delta of stream) streamed += delta.text
      const { node } = await stream.result
      await client.close()
      return { bundled, standalone: { streamed, node }, hasProcess: typeof (globalThis as { process?: unknown }).process !== 'undefined' }
    }, relay.url)
    assert.equal(out.hasProcess, false, 'a real browser global scope')
    assert.deepEqual(out.bundled, { streamed: reply, node: node.pubkey }, 'the app bundled from the installed package')
    assert.deepEqual(out.standalone, { streamed: reply, node: node.pubkey }, '@infernet/sdk/browser')
  })
})
