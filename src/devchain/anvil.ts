// A local EVM dev chain: anvil (from the @foundry-rs/anvil npm package) on 127.0.0.1. Used by `infernet up` and
// by the tests. Its accounts come from anvil's well-known test mnemonic and are funded at genesis: for local
// development only, never for real funds.
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { bytesToHex, type Hex } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { BaseError } from '../errors/base.ts'

export type DevChain = {
  rpcUrl: string
  chainId: number
  /** Funded private keys (10,000 ETH each). */
  accounts: Hex[]
  /** Settles when anvil exits, for whatever reason (stop(), a crash, a kill): its owner can tell the chain is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  stop(): Promise<void>
}

export class DevChainUnavailableError extends BaseError {
  override name = 'DevChainUnavailableError'
  override code = 'devchain-unavailable'
  constructor(reason: string, cause?: unknown) {
    super(`The local dev chain (anvil) could not start: ${reason}`, {
      metaMessages: ['anvil comes from the @foundry-rs/anvil npm package (a dev dependency): run `npm ci` without --omit=dev.'],
      cause,
    })
  }
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
    try {
      return [process.execPath, [join(dirname(require.resolve('@foundry-rs/anvil/package.json')), 'bin.mjs')]]
    } catch (cause) {
      throw new DevChainUnavailableError('the @foundry-rs/anvil package is not installed', cause)
    }
  }
}

export type StartDevChainParameters = {
  accounts?: number | undefined
  chainId?: number | undefined
  /** 0 = a port picked by the OS. */
  port?: number | undefined
  /** Seconds per block; omitted = a block per transaction (instant mining). */
  blockTime?: number | undefined
  /** How long anvil may take to print its "Listening on" line (tests stretch it on a loaded machine). */
  readyTimeoutMs?: number | undefined
}

export async function startDevChain({ accounts = 10, chainId = 31337, port = 0, blockTime, readyTimeoutMs = 20_000 }: StartDevChainParameters = {}): Promise<DevChain> {
  const [command, prefix] = anvilCommand()
  const args = [...prefix, '--host', '127.0.0.1', '--port', String(port), '--accounts', String(accounts), '--chain-id', String(chainId)]
  if (blockTime !== undefined) args.push('--block-time', String(blockTime))
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const rpcUrl = await new Promise<string>((resolve, reject) => {
    let buffer = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new DevChainUnavailableError(`no "Listening on" line within ${Math.round(readyTimeoutMs / 1000)} s:\n${buffer.slice(-2000)}`))
    }, readyTimeoutMs)
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
      reject(new DevChainUnavailableError(`anvil exited with code ${code}:\n${buffer.slice(-2000)}`))
    })
    child.once('error', (err) => {
      clearTimeout(timer)
      reject(new DevChainUnavailableError(err.message, err))
    })
  })
  child.stderr.resume()
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve({ code: child.exitCode, signal: child.signalCode })
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  const keys = Array.from({ length: accounts }, (_, i) => bytesToHex(mnemonicToAccount(mnemonic, { addressIndex: i }).getHdKey().privateKey!))
  return {
    rpcUrl,
    chainId,
    accounts: keys,
    exited,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}
