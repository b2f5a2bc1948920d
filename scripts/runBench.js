#!/usr/bin/env node
// Runs bench/**/*.bench.ts one after another (never in parallel: they measure). Arguments narrow the set.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.bench.ts') ? [path] : []
  })
}

const filters = process.argv.slice(2)
const files = walk('bench').filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort()
let failed = 0
for (const file of files) {
  console.log(`\n### ${file}`)
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', file], { stdio: 'inherit' })
  if (r.status !== 0) failed++
}
process.exit(failed ? 1 : 0)
