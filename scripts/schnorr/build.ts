// `npm run schnorr` (also run on install): builds the native libsecp256k1 addon (src/schnorr/native/schnorr.c)
// into the cache that src/schnorr/addon.ts reads. Nothing is downloaded: libsecp256k1's C source comes from the
// pinned npm package, node-gyp comes with npm and the Node headers from npm's `nodedir` (or beside this node).
// A cached build answers at once. A failed build is not an error of the install: it prints why and the processes
// fall back to the WASM libsecp256k1 (one log line each). Flags: --force (rebuild), --quiet, --strict (exit 1 on
// failure, for CI that wants the native path).
import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { addonCacheDir, addonPath, addonSourceFile, secp256k1Definitions, secp256k1SourceDir } from '../../src/schnorr/addon.ts'

const args = process.argv.slice(2)
const force = args.includes('--force')
const quiet = args.includes('--quiet')
const strict = args.includes('--strict')
const say = (line: string) => {
  if (!quiet) console.error(`schnorr: ${line}`)
}

/** node-gyp as npm ships it: npm names it to scripts it runs; otherwise it sits in npm's own tree beside node. */
function nodeGyp(env: NodeJS.ProcessEnv): string {
  const candidates = [env.npm_config_node_gyp, join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')]
  const found = candidates.find((c): c is string => !!c && existsSync(c))
  if (!found) throw new Error(`node-gyp not found (looked at ${candidates.filter(Boolean).join(', ')}); it comes with npm`)
  return found
}

/** Node's headers without a download: npm's `nodedir` when set, else the install prefix of this node. */
function nodeDir(env: NodeJS.ProcessEnv): string {
  const dir = env.npm_config_nodedir || join(dirname(process.execPath), '..')
  if (!existsSync(join(dir, 'include', 'node', 'node_api.h'))) throw new Error(`Node's headers are not under ${dir}/include/node (install the Node development headers, or set npm's nodedir)`)
  return dir
}

/** The gyp file for one build, written into a scratch folder beside a copy of the source (gyp places objects by the source's relative path). */
function bindingGyp(source: string, secp256k1Dir: string): string {
  return JSON.stringify({
    targets: [{
      target_name: 'schnorr',
      sources: [source],
      include_dirs: [join(secp256k1Dir, 'include'), join(secp256k1Dir, 'src')],
      defines: secp256k1Definitions,
      cflags: ['-Wno-unused-function', '-Wno-unused-parameter'],
      xcode_settings: { OTHER_CFLAGS: ['-Wno-unused-function'] },
    }],
  }, null, 2)
}

function run(command: string, argv: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let log = ''
    child.stdout.on('data', (d: Buffer) => (log += d))
    child.stderr.on('data', (d: Buffer) => (log += d))
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`node-gyp exited with ${code}:\n${log.split('\n').slice(-25).join('\n')}`))))
  })
}

async function build(): Promise<void> {
  const target = addonPath()
  if (existsSync(target) && !force) {
    say(`cached: ${target}`)
    return
  }
  const started = performance.now()
  mkdirSync(addonCacheDir(), { recursive: true })
  const scratch = mkdtempSync(join(addonCacheDir(), 'build-'))
  try {
    copyFileSync(addonSourceFile, join(scratch, 'schnorr.c'))
    writeFileSync(join(scratch, 'binding.gyp'), bindingGyp('schnorr.c', secp256k1SourceDir()))
    say(`compiling libsecp256k1 (${secp256k1SourceDir()}) with node-gyp…`)
    await run(process.execPath, [nodeGyp(process.env), 'rebuild', `--nodedir=${nodeDir(process.env)}`, '--release'], scratch)
    // A rename within one folder, so a process loading the addon never sees half a file.
    renameSync(join(scratch, 'build', 'Release', 'schnorr.node'), target)
    say(`built ${target} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}

try {
  await build()
} catch (err) {
  console.error(`schnorr: the native libsecp256k1 build failed; processes will sign and verify with the WASM build instead.\n${(err as Error).message}`)
  process.exitCode = strict ? 1 : 0
}
