// A real EVM dev chain for tests: anvil (from @foundry-rs/anvil) on 127.0.0.1 with a port picked by the OS
// (`--port 0`, read back from its "Listening on" line). Call stop() in `after`.
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { bytesToHex } from 'viem'
import type { Hex } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'

export type Anvil = {
  rpcUrl: string
  chainId: number
  /** Funded private keys (10,000 ETH each). */
  accounts: Hex[]
  stop(): Promise<void>
}

/** anvil's default mnemonic; its accounts are funded at genesis. */
const mnemonic = 'test test test test test test test test test test test junk'

/** The platform package's binary (so SIGTERM reaches anvil itself), else the npm wrapper. */
function anvilCommand(): [string, string[]] {
  const require = createRequire(import.meta.url)
  const arch = process.arch === 'x64' ? 'amd64' : process.arch
  const os = process.platform === 'win32' ? 'win32' : process.platform
  try {
    const pkg = require.resolve(`@foundry-rs/anvil-${os}-${arch}/package.json`)
    return [join(dirname(pkg), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil'), []]
  } catch {
    return [process.execPath, [join(dirname(require.resolve('@foundry-rs/anvil/package.json')), 'bin.mjs')]]
  }
}

export async function startAnvil({ accounts = 10, chainId = 31337 }: { accounts?: number | undefined; chainId?: number | undefined } = {}): Promise<Anvil> {
  const [command, prefix] = anvilCommand()
  const child = spawn(command, [...prefix, '--host', '127.0.0.1', '--port', '0', '--accounts', String(accounts), '--chain-id', String(chainId)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const rpcUrl = await new Promise<string>((resolve, reject) => {
    let buffer = ''
    const timer = setTimeout(() => reject(new Error(`anvil did not start within 20 s:\n${buffer.slice(-2000)}`)), 20_000)
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      const m = /Listening on (127\.0\.0\.1:\d+)/.exec(buffer)
      if (m) {
        clearTimeout(timer)
        child.stdout.removeAllListeners('data')
        child.stdout.resume()
        resolve(`http://${m[1]}`)
      }
    })
    child.stderr.on('data', (chunk: Buffer) => (buffer += chunk.toString()))
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`anvil exited with code ${code}:\n${buffer.slice(-2000)}`))
    })
    child.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
  })
  const keys = Array.from({ length: accounts }, (_, i) => bytesToHex(mnemonicToAccount(mnemonic, { addressIndex: i }).getHdKey().privateKey!))
  return {
    rpcUrl,
    chainId,
    accounts: keys,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}
