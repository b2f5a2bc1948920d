#!/usr/bin/env node
// Runs every test/**/*.test.ts through node:test with tsx. Node 20's --test does not expand globs,
// so the file list is built here. Arguments narrow the run to paths containing any of them.
// The file timeout (240 s on an idle machine) stretches with how loaded the machine is when the run starts
// (test/helpers/timeScale.ts; INFERNET_TEST_TIME_SCALE fixes the factor), and the waits inside the tests stretch
// the same way when they begin. The load the suite itself makes is not in that measure: test/e2e/cliPayments (22
// CLI processes in sequence) takes 74 s alone on a 2-core box and went past 120 s beside the other files there.
// A file stopped by its timeout still stops what it spawned (reapOnExit.ts).
import { spawn } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { register } from 'tsx/esm/api'

register()
const { measureTimeScale } = await import('../test/helpers/timeScale.ts')

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.test.ts') ? [path] : []
  })
}

const filters = process.argv.slice(2)
const files = walk('test').filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort()
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`)
  process.exit(1)
}
const concurrency = process.env.TEST_CONCURRENCY ?? String(Math.max(2, availableParallelism()))
const scale = measureTimeScale()
const fileTimeoutMs = Math.ceil(240_000 * scale)
if (scale > 1) console.error(`runTests: machine loaded (time scale ${scale.toFixed(1)}): file timeout ${Math.round(fileTimeoutMs / 1000)} s`)
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${fileTimeoutMs}`, ...files],
  { stdio: 'inherit' },
)
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
