// `npm run engine`: makes sure llama.cpp's llama-server (and llama-quantize) are built and cached.
// Nothing is downloaded but the pinned npm package: node-llama-cpp ships llama.cpp's complete source as a git
// bundle, which is cloned and built with cmake (CPU only, static, no network, no web UI). Prints progress and
// the build time; a cached build answers at once. Flags: --force (rebuild), --jobs N, --quiet.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { buildDir, engineCacheDir, enginePackage, findEngine, pinFile, type EngineBuildInfo } from './location.ts'

const cmakeFlags = [
  '-DCMAKE_BUILD_TYPE=Release',
  '-DBUILD_SHARED_LIBS=OFF',
  '-DLLAMA_OPENSSL=OFF',
  '-DLLAMA_USE_PREBUILT_UI=OFF',
  '-DLLAMA_BUILD_UI=OFF',
  '-DLLAMA_BUILD_TESTS=OFF',
  '-DLLAMA_BUILD_EXAMPLES=OFF',
  // Portable: the cache may be shared by machines of the same architecture with other CPU features.
  '-DGGML_NATIVE=OFF',
]
const targets = ['llama-server', 'llama-quantize']
/** Kept from the source tree for the tests: real tokenizers and chat templates. */
const shared = ['models/ggml-vocab-qwen2.gguf', 'models/ggml-vocab-llama-bpe.gguf', 'models/templates/Qwen-Qwen2.5-7B-Instruct.jinja']

class EngineBuildError extends Error {
  override name = 'EngineBuildError'
}

const args = process.argv.slice(2)
const force = args.includes('--force')
const quiet = args.includes('--quiet')
const jobsArg = args.indexOf('--jobs')
const jobs = jobsArg >= 0 ? Number(args[jobsArg + 1]) : availableParallelism()
const say = (line: string) => {
  if (!quiet) console.log(`engine: ${line}`)
}

function requireTools(): void {
  const tools: [string, string[], string][] = [
    ['cmake', ['--version'], 'apt-get install cmake'],
    ['git', ['--version'], 'apt-get install git'],
    ['tar', ['--version'], 'apt-get install tar'],
    ['c++', ['--version'], 'apt-get install g++'],
    ['npm', ['--version'], 'install Node.js with npm'],
  ]
  const missing = tools.filter(([cmd, a]) => spawnSync(cmd, a, { stdio: 'ignore' }).status !== 0)
  if (missing.length > 0) {
    throw new EngineBuildError(`cannot build the engine: ${missing.map(([cmd, , fix]) => `${cmd} is missing (${fix})`).join('; ')}`)
  }
}

/** Runs a build step, printing cmake's "[ NN%]" progress at most every 5 points; the tail of its log on failure. */
function run(command: string, argv: string[], what: string, cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    const tail: string[] = []
    let shown = -5
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue
        tail.push(line)
        if (tail.length > 30) tail.shift()
        const m = /^\[\s*(\d+)%\]/.exec(line)
        if (m && Number(m[1]) >= shown + 5) {
          shown = Number(m[1])
          say(`${what} ${shown}%`)
        }
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new EngineBuildError(`${what} failed (exit ${code}):\n${tail.join('\n')}`))))
  })
}

async function build(): Promise<void> {
  const cacheDir = engineCacheDir()
  const existing = findEngine()
  if (existing && !force && !process.env.INFERNET_LLAMA_SERVER) {
    say(`cached: ${existing.server} (llama.cpp ${existing.commit?.slice(0, 12)})`)
    return
  }
  if (process.env.INFERNET_LLAMA_SERVER) {
    if (!existing) throw new EngineBuildError(`INFERNET_LLAMA_SERVER=${process.env.INFERNET_LLAMA_SERVER} does not exist`)
    say(`using INFERNET_LLAMA_SERVER=${existing.server}`)
    return
  }
  requireTools()
  mkdirSync(cacheDir, { recursive: true })
  const work = mkdtempSync(join(cacheDir, 'work-'))
  const started = Date.now()
  try {
    say(`fetching ${enginePackage} from the npm registry (llama.cpp source, ~35 MB)`)
    const packed = execFileSync('npm', ['pack', enginePackage, '--silent', '--pack-destination', work], { encoding: 'utf8' }).trim().split('\n').pop()!
    execFileSync('tar', ['xzf', join(work, packed), '-C', work, 'package/llama/gitRelease.bundle', 'package/llama/llama.cpp.info.json'])
    const info = JSON.parse(readFileSync(join(work, 'package/llama/llama.cpp.info.json'), 'utf8')) as { tag?: string }
    const src = join(work, 'src')
    execFileSync('git', ['clone', '--quiet', join(work, 'package/llama/gitRelease.bundle'), src], { stdio: ['ignore', 'ignore', 'pipe'] })
    const commit = execFileSync('git', ['-C', src, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim()
    say(`llama.cpp ${commit.slice(0, 12)}${info.tag ? ` (${info.tag})` : ''}: configuring`)
    const build = join(work, 'build')
    await run('cmake', ['-S', src, '-B', build, ...cmakeFlags], 'configure')
    say(`compiling ${targets.join(', ')} with ${jobs} jobs (about 7 minutes on 2 cores)`)
    await run('cmake', ['--build', build, '--target', ...targets, '-j', String(jobs)], 'build')
    const out = buildDir(cacheDir, commit)
    const staging = `${out}.partial`
    rmSync(staging, { recursive: true, force: true })
    mkdirSync(join(staging, 'bin'), { recursive: true })
    mkdirSync(join(staging, 'share'), { recursive: true })
    for (const t of targets) copyFileSync(join(build, 'bin', t), join(staging, 'bin', t))
    for (const f of shared) if (existsSync(join(src, f))) cpSync(join(src, f), join(staging, 'share', f.split('/').pop()!))
    const buildInfo: EngineBuildInfo = { package: enginePackage, commit, tag: info.tag, buildSeconds: Math.round((Date.now() - started) / 1000), builtAt: new Date().toISOString(), cmakeFlags }
    writeFileSync(join(staging, 'build-info.json'), JSON.stringify(buildInfo, null, 2))
    rmSync(out, { recursive: true, force: true })
    renameSync(staging, out)
    // The pin is written last: a build killed halfway leaves no pin, so the next run builds again.
    writeFileSync(pinFile(cacheDir), JSON.stringify(buildInfo, null, 2))
    say(`built in ${buildInfo.buildSeconds} s: ${join(out, 'bin', 'llama-server')}`)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

build().catch((err: unknown) => {
  console.error(err instanceof EngineBuildError ? `engine: ${err.message}` : err)
  process.exit(1)
})
