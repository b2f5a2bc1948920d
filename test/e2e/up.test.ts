// End to end, `infernet up`: spawned as a process exactly as a user runs it (relay, dev chain, 2 demo nodes,
// coordinator/gateway are its children). Waits for its ready JSON line, runs one chat completion against its
// gateway with the openai package, sends SIGINT, and asserts it exits 0 within 15 s leaving no process behind.
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type AddressInfo } from 'node:net'
import { promisify } from 'node:util'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { test, type TestContext } from 'node:test'
import OpenAI from 'openai'
import { tempDir } from '../helpers/coordinator.ts'
import { descendants, isAlive as alive } from '../helpers/processTree.ts'
import { reapChildrenOnExit } from '../helpers/reapOnExit.ts'
import { scaled } from '../helpers/timeScale.ts'

const execFileAsync = promisify(execFile)

type UpReady = { ready: true; url: string; gateway: string; model: string; nodes: { npub: string; home: string }[]; client: { home: string; address: string } }

/** `infernet up` as a user runs it, until its ready line; on a failure before the test stops it, the network's
 * processes are killed before `up` itself (killed alone, up would leave them to init). */
async function startUp(t: TestContext, nodes: number, prefix: string) {
  const data = tempDir(prefix)
  t.after(() => data.remove())
  reapChildrenOnExit()
  const child = spawn(process.execPath, [bin, 'up', '--nodes', String(nodes), '--port', '0', '--relay-port', '0', '--data', data.path, '--backend', 'demo', '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, INFERNET_LOG_LEVEL: 'warn' },
  })
  const out = { stderr: '' }
  child.stderr.on('data', (d: Buffer) => (out.stderr = (out.stderr + d.toString()).slice(-8000)))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  t.after(() => {
    if (child.exitCode !== null || child.signalCode !== null) return
    for (const pid of descendants(child.pid!).reverse()) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    child.kill('SIGKILL')
  })
  const ready = await new Promise<UpReady>((resolve, reject) => {
    const readyMs = scaled(90_000)
    const timer = setTimeout(() => reject(new Error(`no ready line within ${Math.round(readyMs / 1000)} s\n${out.stderr}`)), readyMs)
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { ready?: boolean }
        if (msg.ready) {
          clearTimeout(timer)
          resolve(msg as UpReady)
        }
      } catch {
        // not JSON
      }
    })
    void exited.then(({ code, signal }) => {
      clearTimeout(timer)
      reject(new Error(`infernet up exited (${code ?? signal}) before it was ready\n${out.stderr}`))
    })
  })
  return { data, child, exited, ready, out }
}

const bin = new URL('../../bin/infernet.js', import.meta.url).pathname

test('infernet up --nodes 2 --backend demo: ready line, a chat completion through its gateway, clean SIGINT', async (t) => {
  const { data, child, exited, ready, out } = await startUp(t, 2, 'infernet-up-')
  assert.equal(ready.nodes.length, 2)
  assert.equal(ready.model, 'demo')

  const openai = new OpenAI({ apiKey: 'unused', baseURL: ready.gateway, maxRetries: 0 })
  const res = await openai.chat.completions.create({ model: ready.model, messages: [{ role: 'user', content: 'Say hello.' }] })
  assert.ok((res.choices[0]!.message.content ?? '').length > 0)
  assert.ok(res.usage && res.usage.completion_tokens > 0)

  // The CLI on the local network works with only INFERNET_HOME set: the banner's lines, as a user runs them.
  const cli = (home: string, ...args: string[]) =>
    execFileAsync(process.execPath, [bin, ...args], { env: { ...process.env, INFERNET_HOME: home, INFERNET_LOG_LEVEL: 'warn' }, timeout: 60_000 })
  const listed = (JSON.parse((await cli(ready.client.home, "nodes", "--json")).stdout) as { nodes: unknown[] }).nodes
  assert.equal(listed.length, 2)
  const balance = JSON.parse((await cli(ready.client.home, 'balance', '--json')).stdout) as { address: string; nativeBalance: string }
  assert.equal(balance.address.toLowerCase(), ready.client.address.toLowerCase())
  assert.equal(balance.nativeBalance, String(10n ** 19n), 'the client key is funded')
  const deposited = JSON.parse((await cli(ready.client.home, 'deposit', '1000000000000000', '--node', ready.nodes[0]!.npub, '--json')).stdout.trim().split('\n').at(-1)!) as { deposit: string }
  assert.equal(deposited.deposit, '1000000000000000')
  // The banner's chat line pays from that deposit, with nothing but INFERNET_HOME set.
  const chat = await cli(ready.client.home, 'chat', 'Hello!', '--model', ready.model, '--routing', `pin:${ready.nodes[0]!.npub}`, '--json')
  const { payment } = JSON.parse(chat.stdout.trim().split('\n').at(-1)!) as { payment: { paid: boolean; cumulative: string } }
  assert.equal(payment.paid, true)
  assert.ok(BigInt(payment.cumulative) > 0n)
  const payout = await cli(ready.nodes[0]!.home, 'payout', '--dry-run')
  assert.equal(payout.stderr.includes('Error'), false, payout.stderr)

  // A second `infernet up` on the same data folder, or on a taken port, says which and exits non-zero.
  const second = await execFileAsync(process.execPath, [bin, 'up', '--port', '0', '--relay-port', '0', '--data', data.path, '--backend', 'demo'], { timeout: 60_000 }).then(
    () => assert.fail('a second up on the same data folder must fail'),
    (err: { code: number; stderr: string }) => err,
  )
  assert.equal(second.code, 1)
  assert.match(second.stderr, new RegExp(`The data folder .*${data.path.split('/').at(-1)} is in use by another .infernet up. \\(pid \\d+\\)`))
  const blocker = createServer().listen(0, '127.0.0.1')
  await once(blocker, 'listening')
  t.after(() => blocker.close())
  const takenPort = (blocker.address() as AddressInfo).port
  const other = tempDir('infernet-up-')
  t.after(() => other.remove())
  const taken = await execFileAsync(process.execPath, [bin, 'up', '--port', '0', '--relay-port', String(takenPort), '--data', other.path, '--backend', 'demo'], { timeout: 60_000 }).then(
    () => assert.fail('up on a taken relay port must fail'),
    (err: { code: number; stderr: string }) => err,
  )
  assert.match(taken.stderr, new RegExp(`Port ${takenPort} on 127\\.0\\.0\\.1 \\(the relay\\) is taken\\.`))
  assert.match(taken.stderr, /--relay-port/)

  const family = descendants(child.pid!)
  assert.ok(family.length >= 5, `relay, anvil, 2 nodes and the coordinator run under it (found ${family.length})`)
  const sent = Date.now()
  child.kill('SIGINT')
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 15_000).unref())
  const outcome = await Promise.race([exited, timeout])
  assert.notEqual(outcome, 'timeout', `infernet up did not exit within 15 s of SIGINT\n${out.stderr}`)
  assert.deepEqual(outcome, { code: 0, signal: null }, out.stderr)
  t.diagnostic(`exited ${Date.now() - sent} ms after SIGINT`)
  await new Promise((r) => setTimeout(r, 200))
  const left = family.filter(alive)
  assert.deepEqual(left, [], `processes left behind: ${left.map((p) => `${p} ${readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ').slice(0, 120)}`).join('; ')}`)
})

test('infernet up: when anvil exits on its own, it says so, stops every process and exits non-zero', async (t) => {
  const { child, exited, out } = await startUp(t, 1, 'infernet-up-anvil-')
  const family = descendants(child.pid!)
  const anvil = family.find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('anvil'))
  assert.ok(anvil, 'anvil runs under infernet up')
  process.kill(anvil, 'SIGKILL')
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000).unref())
  const outcome = await Promise.race([exited, timeout])
  assert.notEqual(outcome, 'timeout', `infernet up kept running without its dev chain\n${out.stderr}`)
  assert.deepEqual(outcome, { code: 1, signal: null }, out.stderr)
  assert.match(out.stderr, /dev chain \(anvil\) exited/)
  await new Promise((r) => setTimeout(r, 200))
  const left = family.filter(alive)
  assert.deepEqual(left, [], 'no process is left behind')
})
