// Builds the publishable packages under packages/ from the sources where they live (nothing is moved or copied
// into packages/ but build output, which git ignores): `npm run build:packages`, then `npm pack` in a package's
// folder makes its tarball. Each package:
// - JavaScript by esbuild: the entry bundled with the core files it reaches, npm dependencies left as imports;
//   every one of them must be declared in the package's package.json with the root's range (checked here);
// - type declarations by tsc (declaration-only emit, the tree kept under dist/types/), relative `.ts`
//   specifiers rewritten to `.js` so any TypeScript resolves them;
// - for the SDK also a self-contained browser bundle (`@infernet/sdk/browser`: dependencies included, minified)
//   for pages without a bundler.
// The SDK bundles with platform "browser", so a Node built-in reached from client/index.ts fails the build.
import { spawn } from 'node:child_process'
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build, type Metafile } from 'esbuild'

const root = join(import.meta.dirname, '..')
const require = createRequire(import.meta.url)

type PackageJson = { name: string; version: string; dependencies?: Record<string, string>; peerDependencies?: Record<string, string> }

export type BuiltPackage = { name: string; version: string; dir: string }

/** The npm package a bare specifier names (`@scope/name/sub` -> `@scope/name`). */
function packageName(specifier: string): string {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!
}

/** Every npm package the bundle imports is a declared dependency, with the range the repository is tested with. */
function checkDependencies(pkg: PackageJson, metafile: Metafile): void {
  const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson
  const declared = { ...pkg.dependencies, ...pkg.peerDependencies }
  const imported = new Set<string>()
  for (const output of Object.values(metafile.outputs)) for (const i of output.imports) if (i.external) imported.add(packageName(i.path))
  const problems: string[] = []
  for (const name of [...imported].sort()) {
    if (name.startsWith('node:')) problems.push(`imports the Node built-in ${name}`)
    else if (!declared[name]) problems.push(`imports ${name}, which its package.json does not declare (the root has ${rootPkg.dependencies?.[name] ?? 'no such dependency'})`)
    else if (rootPkg.dependencies?.[name] !== declared[name]) problems.push(`declares ${name}@${declared[name]}, the root ${name}@${rootPkg.dependencies?.[name]}`)
  }
  for (const name of Object.keys(pkg.dependencies ?? {})) if (!imported.has(name)) problems.push(`declares ${name}, which it never imports`)
  if (problems.length) throw new Error(`${pkg.name}:\n- ${problems.join('\n- ')}`)
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d))
    child.stderr.on('data', (d: Buffer) => (out += d))
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${[command, ...args].join(' ')} exited with ${code}:\n${out}`))))
  })
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : [path]
  })
}

/** tsc keeps the sources' `./x.ts` specifiers in declarations; `./x.js` resolves in every TypeScript version. */
function rewriteDeclarationSpecifiers(dir: string): void {
  for (const file of files(dir).filter((f) => f.endsWith('.d.ts'))) {
    const text = readFileSync(file, 'utf8')
    const rewritten = text.replace(/((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]*?)\.ts\2/g, '$1$2$3.js$2')
    if (rewritten !== text) writeFileSync(file, rewritten)
  }
}

async function declarations(tsconfig: string, outDir: string): Promise<void> {
  const tsc = join(require.resolve('typescript/package.json'), '..', 'bin', 'tsc')
  await run(process.execPath, [tsc, '-p', tsconfig])
  rewriteDeclarationSpecifiers(outDir)
}

export async function buildSdk(): Promise<BuiltPackage> {
  const dir = join(root, 'packages', 'sdk')
  const dist = join(dir, 'dist')
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson
  rmSync(dist, { recursive: true, force: true })
  const entry = join(root, 'client', 'index.ts')
  const common = { entryPoints: { index: entry }, bundle: true, format: 'esm', platform: 'browser', target: 'es2022', sourcemap: true, logLevel: 'silent' } as const
  const [lib] = await Promise.all([
    // `@infernet/sdk/payments` is its own entry: the receipt signer needs viem, which the chat client does not.
    build({ ...common, entryPoints: { index: entry, payments: join(root, 'client', 'payments', 'index.ts') }, outdir: dist, packages: 'external', metafile: true, splitting: true }),
    build({ ...common, entryPoints: { 'infernet.browser': entry }, outdir: dist, minify: true, sourcesContent: false }),
    declarations(join(dir, 'tsconfig.json'), join(dist, 'types')),
  ])
  checkDependencies(pkg, lib.metafile)
  return { name: pkg.name, version: pkg.version, dir }
}

/** Builds every package; returns where each is (run `npm pack` there). */
export async function buildPackages(): Promise<BuiltPackage[]> {
  return Promise.all([buildSdk()])
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = performance.now()
  const built = await buildPackages()
  for (const p of built) console.log(`${p.name}@${p.version}  ${relative(root, p.dir)}/dist`)
  console.error(`built ${built.length} package(s) in ${((performance.now() - started) / 1000).toFixed(1)} s`)
}
