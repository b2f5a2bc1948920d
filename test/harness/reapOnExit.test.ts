// A test file that node:test stops for running past its timeout (SIGTERM: no t.after, no 'exit' handlers by default)
// leaves no process behind: the anvil, relay process and script process it spawned through the helpers, and the
// script's own child, are all gone once the runner has reported the timeout.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { tempDir } from '../helpers/coordinator.ts'
import { waitFor } from '../helpers/network.ts'
import { isAlive } from '../helpers/processTree.ts'
import { scaled } from '../helpers/timeScale.ts'

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').slice(0, 100)
  } catch {
    return '?'
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // gone
  }
}

const fixture = new URL('./fixtures/spawnsThenHangs.ts', import.meta.url).pathname

test('a test file stopped by its timeout leaves none of the processes it spawned', async (t) => {
  const dir = tempDir('infernet-reap-test-')
  t.after(() => dir.remove())
  const pidsFile = join(dir.path, 'pids.json')
  // Long enough for the three processes to start on this machine, short next to this file's own timeout.
  const timeoutMs = scaled(15_000)
  const runner = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-timeout=${timeoutMs}`, fixture], {
    // Without NODE_TEST_CONTEXT, which would make the inner runner think it runs inside this file's test.
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')), REAP_PIDS_FILE: pidsFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  runner.stdout.on('data', (d: Buffer) => (out += d.toString()))
  runner.stderr.on('data', (d: Buffer) => (out += d.toString()))
  // The runner reports the file once its output streams close; a process the file left behind holding them keeps
  // it waiting for ever, so a runner still there well after the timeout is a failure too.
  const exited = new Promise<number | null>((resolve) => runner.once('exit', (c) => resolve(c)))
  const hung = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), timeoutMs + scaled(30_000)).unref())
  const code = await Promise.race([exited, hung])
  const pids = JSON.parse(readFileSync(pidsFile, 'utf8')) as { all: number[]; relay: number; script: number; grandchild: number }
  if (code === 'hung') {
    const described = pids.all.filter(isAlive).map((pid) => `${pid} ${commandLine(pid)}`)
    for (const pid of [runner.pid!, ...pids.all]) kill(pid)
    assert.fail(`the test runner never reported the timed-out file: processes it spawned still run and hold its output: ${described.join('; ')}`)
  }
  assert.notEqual(code, 0, out)
  assert.match(out, /test timed out after \d+ms/, out)
  for (const name of ['relay', 'script', 'grandchild'] as const) assert.ok(pids.all.includes(pids[name]), `${name} ${pids[name]} was under the test file: ${pids.all.join(' ')}`)
  assert.ok(pids.all.length >= 4, `anvil, the relay, the script and its child: ${pids.all.join(' ')}`)
  // SIGKILL is delivered at once, but the kernel may take a moment to take the processes down.
  const left = await waitFor(() => {
    const alive = pids.all.filter(isAlive)
    return alive.length === 0 ? [] : false
  }, 'the spawned processes to be gone', 5000).catch(() => pids.all.filter(isAlive))
  const described = left.map((pid) => `${pid} ${commandLine(pid)}`)
  for (const pid of left) kill(pid)
  assert.deepEqual(left, [], `left running after the file timed out: ${described.join('; ')}`)
})
