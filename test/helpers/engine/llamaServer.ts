// The real engine as a child process: llama.cpp's llama-server on 127.0.0.1, CPU only, on a tiny model the
// tests write (tinyModel.ts). start() resolves once the server says it listens (the model is loaded by
// then); a server started on a model that cannot be read yet (a FIFO) stays in its loading state, answering
// 503, which the loading tests use. Every server is SIGKILLed if the test process exits or is stopped (its file
// timeout) without stop(): see reapOnExit.ts. The listen wait stretches with the machine's load.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findEngine, engineMissingHint, type Engine } from '../../../scripts/engine/location.ts'
import { reapChildrenOnExit } from '../reapOnExit.ts'
import { scaled } from '../timeScale.ts'
import { writeTinyModel, type TinyModelSpec } from './tinyModel.ts'

export type LlamaServerOptions = {
  /** A GGUF path, or a tiny model spec written to a temp file named `<name>.gguf`; or a folder of GGUF files served by one router (--models-dir, each model in its own instance). */
  model: string | TinyModelSpec | { modelsDir: string }
  /** Served model id (--alias); default the file name without .gguf. */
  alias?: string | undefined
  ctx?: number | undefined
  /** Slots (--parallel); default 2. */
  parallel?: number | undefined
  threads?: number | undefined
  /** Default 0: the server picks. A fixed port lets a test restart an engine where a node expects it. */
  port?: number | undefined
  args?: string[] | undefined
  /**
   * Serve /v1/embeddings too (--embeddings --pooling <pooling>). llama-server still chats then, and neither /props nor
   * /v1/models says it embeds (measured on b1-80fb11a): a node on it declares the feature (INFERNET_FEATURES).
   */
  embeddings?: { pooling: 'mean' | 'cls' | 'last' } | undefined
  /** Resolve as soon as the process runs, not when it listens (for a model that is still loading). */
  waitListening?: boolean | undefined
  timeoutMs?: number | undefined
}

export type LlamaServer = {
  url: string
  port: number
  modelPath: string
  child: ChildProcess
  logs(): string
  /** SIGTERM (graceful) or SIGKILL; resolves when the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>
}

/** The built engine, or undefined; tests skip with `engineMissingHint` when it is absent. */
export function engine(): Engine | undefined {
  return findEngine()
}
export { engineMissingHint }

export function tempModelDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'infernet-models-'))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

/** A port nobody listens on right now (for servers that must come back on the same port). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

export async function startLlamaServer(options: LlamaServerOptions): Promise<LlamaServer> {
  const found = findEngine()
  if (!found) throw new Error(engineMissingHint)
  let modelPath: string
  let ownDir: { remove(): void } | undefined
  if (typeof options.model === 'string') {
    modelPath = options.model
  } else if ('modelsDir' in options.model) {
    modelPath = options.model.modelsDir
  } else {
    const dir = tempModelDir()
    ownDir = dir
    modelPath = writeTinyModel(join(dir.path, `${options.model.name}.gguf`), options.model)
  }
  const router = typeof options.model === 'object' && 'modelsDir' in options.model
  const alias = options.alias ?? (typeof options.model === 'object' && 'name' in options.model ? options.model.name : undefined)
  const argv = [
    '--host', '127.0.0.1',
    '--port', String(options.port ?? 0),
    ...(router ? ['--models-dir', modelPath] : ['-m', modelPath]),
    ...(alias ? ['--alias', alias] : []),
    '-c', String(options.ctx ?? 2048),
    '--parallel', String(options.parallel ?? 2),
    '--threads', String(options.threads ?? 1),
    '--no-webui',
    '--slots',
    '--jinja',
    ...(options.embeddings ? ['--embeddings', '--pooling', options.embeddings.pooling] : []),
    ...(options.args ?? []),
  ]
  reapChildrenOnExit()
  const child = spawn(found.server, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LLAMA_ARG_HOST: '127.0.0.1' } })
  let log = ''
  const onData = (d: Buffer) => {
    log += d.toString()
    if (log.length > 1_000_000) log = log.slice(-500_000)
  }
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      ownDir?.remove()
      resolve()
    }),
  )
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    await exited
  }
  const port = await new Promise<number>((resolve, reject) => {
    const timeoutMs = options.timeoutMs ?? scaled(60_000)
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`llama-server did not listen within ${timeoutMs / 1000} s:\n${log.slice(-3000)}`))
    }, timeoutMs)
    if (options.waitListening === false) {
      clearTimeout(timer)
      if (!options.port) return reject(new Error('waitListening: false needs a fixed port'))
      return resolve(options.port)
    }
    const check = () => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(log)
      if (m) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    }
    child.stdout!.on('data', check)
    child.stderr!.on('data', check)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`llama-server exited (${code ?? signal}) before it listened:\n${log.slice(-3000)}`))
    })
  })
  return { url: `http://127.0.0.1:${port}`, port, modelPath, child, logs: () => log, stop }
}
