// `infernet setup`: key, GPUs, backend (Ollama install on confirmation), model (pull with a progress bar), price,
// relays; writes $INFERNET_HOME/node.json and publishes the signed capability (that is registration).
// Interactive by default (prompts on stderr with defaults in brackets); `--yes` asks nothing. Safe to re-run:
// the key is kept, the config is updated, the capability republished.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { createInterface } from 'node:readline/promises'
import WebSocket from 'ws'
import { printJson } from '../../src/cli/command.ts'
import { resolveHome } from '../../src/config/common.ts'
import { readConfigFile } from '../../src/config/load.ts'
import { BaseError } from '../../src/errors/base.ts'
import { identityFromSecretKey, keyPath, loadOrCreateIdentity, parseSecretKey, saveIdentity } from '../../src/keys/identity.ts'
import { createRelayPool, type WebSocketConstructor } from '../../src/net/relayPool.ts'
import { buildCapability } from '../../src/protocol/capability.ts'
import { createLocalSigner } from '../../src/signer.ts'
import { createBackend, defaultBackendUrls, detectBackend } from '../backends/index.ts'
import { backendKinds, type Backend, type PullProgress } from '../backends/types.ts'
import { buildCapabilityContent, servedModels, type GpuInfo, type GpuProbe } from '../capability.ts'
import type { NodeCommandArguments } from './arguments.ts'
import { recommendModel } from '../gpu/recommendModel.ts'
import { loadNodeConfig, nodeConfigPath, nodeSchema, optionalUrl } from '../config.ts'
import { createGpuProbe, nodeFlags } from './common.ts'

export type SetupDependencies = {
  gpu?: GpuProbe | undefined
  /** Runs the Ollama installer; default `curl -fsSL https://ollama.com/install.sh | sh`. Never called in tests. */
  installOllama?: (() => Promise<void>) | undefined
  input?: NodeJS.ReadableStream | undefined
  stderr?: NodeJS.WritableStream | undefined
  stdout?: (line: string) => void | undefined
}

function progressBar(p: PullProgress, width = 30): string {
  if (!p.total) return p.status
  const ratio = Math.min(1, (p.completed ?? 0) / p.total)
  const filled = Math.round(ratio * width)
  return `${p.status} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}%`
}

const runInstaller = () =>
  new Promise<void>((resolve, reject) => {
    const child = spawn('sh', ['-c', 'curl -fsSL https://ollama.com/install.sh | sh'], { stdio: 'inherit' })
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new BaseError(`The Ollama installer exited with code ${code}.`))))
    child.once('error', reject)
  })

/** One answer to a setup question that does not parse; askValid prints its message and asks again. */
export class InvalidSetupAnswerError extends BaseError {
  override name = 'InvalidSetupAnswerError'
  override code = 'invalid-setup-answer'
}

/** A whole number of the payment token's base units. */
function baseUnits(raw: string): string {
  if (!/^\d+$/.test(raw)) throw new InvalidSetupAnswerError('expected a whole number of base units (wei for the native coin), such as 0 or 100000000000')
  return BigInt(raw).toString()
}

/** One or more ws:// or wss:// relay URLs. */
function relayList(raw: string): string[] {
  const urls = raw.split(',').map((u) => u.trim()).filter(Boolean)
  if (urls.length === 0) throw new InvalidSetupAnswerError('name at least one relay (ws:// or wss://)')
  for (const u of urls) {
    let url: URL
    try {
      url = new URL(u)
    } catch {
      throw new InvalidSetupAnswerError(`"${u}" is not a URL`)
    }
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new InvalidSetupAnswerError(`"${u}" is not a ws:// or wss:// relay URL`)
  }
  return urls
}

export async function runSetup(argv: NodeCommandArguments, deps: SetupDependencies = {}): Promise<void> {
  const home = resolveHome(argv)
  const stderr = deps.stderr ?? process.stderr
  const say = (line: string) => stderr.write(line + '\n')
  const interactive = !argv.yes
  const rl = interactive ? createInterface({ input: deps.input ?? process.stdin, output: stderr }) : undefined
  const ask = async (question: string, def: string): Promise<string> => {
    if (!rl) return def
    const answer = (await rl.question(`${question} [${def}]: `)).trim()
    return answer || def
  }
  // Asks until the answer parses, naming the field and what was wrong; without a terminal the default must parse.
  const askValid = async <T>(question: string, def: string, field: string, parse: (raw: string) => T): Promise<T> => {
    for (;;) {
      const answer = await ask(question, def)
      try {
        return parse(answer)
      } catch (err) {
        const reason = err instanceof BaseError ? err.shortMessage : (err as Error).message
        if (!rl) throw new InvalidSetupAnswerError(`Invalid ${field} "${answer}": ${reason}.`)
        say(`  ${field}: ${reason}; try again.`)
      }
    }
  }
  const confirm = async (question: string, def: boolean): Promise<boolean> => {
    if (!rl) return def
    const a = (await ask(`${question} (y/n)`, def ? 'y' : 'n')).toLowerCase()
    return a.startsWith('y')
  }
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 })
    // 1. key
    let identity
    if (argv.key && !existsSync(keyPath(home))) {
      identity = identityFromSecretKey(parseSecretKey(argv.key))
      saveIdentity(keyPath(home), identity)
      say(`Imported key ${identity.npub}`)
    } else {
      const r = loadOrCreateIdentity(keyPath(home))
      identity = r.identity
      say(`${r.created ? 'Created' : 'Using'} key ${identity.npub} (${keyPath(home)})`)
      if (argv.key && !r.created) say('A key already exists; --key was ignored (delete the key file to replace it).')
    }
    const signer = createLocalSigner(identity.secretKey)

    // 2. GPUs
    const gpu = deps.gpu ?? createGpuProbe()
    const gpus: GpuInfo[] = await gpu.detect().catch(() => [])
    const host = gpus.length === 0 ? await gpu.host?.().catch(() => undefined) : undefined
    if (gpus.length === 0) say(host ? `no GPU found; CPU inference, ${formatGiB(host.ramMiB)} RAM (${host.cpu})` : 'no GPU found; CPU inference')
    for (const g of gpus) say(`GPU: ${g.name}, ${g.vramMiB} MiB VRAM${g.driver ? `, driver ${g.driver}` : ''}`)

    // 3. config: existing file < env < flags; then the questions
    const existing = readConfigFile(nodeConfigPath(home))
    const base = loadNodeConfig(home, { flags: nodeFlags(argv) })
    let backendKind = base.backend
    let backendUrl = base.backendUrl
    if (argv.backend === undefined && existing.backend === undefined && !process.env[nodeSchema.backend.env]) {
      const found = await detectBackend()
      if (found) {
        backendKind = found.kind
        backendUrl = found.baseUrl
        say(`Found ${found.kind} at ${found.baseUrl}`)
      }
    }
    backendKind = await askValid(`Backend (${backendKinds.join(', ')})`, backendKind, 'backend', (raw) => nodeSchema.backend.parse(raw))
    // The demo backend runs in the node process: it has no URL to ask for.
    backendUrl = backendKind === 'demo' ? '' : await askValid('Backend URL', backendUrl || defaultBackendUrls[backendKind] || '', 'backend URL', optionalUrl)
    let backend: Backend = createBackend({ kind: backendKind, baseUrl: backendUrl || undefined, timeoutMs: base.backendTimeoutMs })
    let health = await backend.health().catch((err: Error) => ({ ok: false as const, reason: err.message }))
    if (!health.ok && backendKind === 'ollama') {
      say(`Ollama does not answer at ${backend.baseUrl}.`)
      const install = interactive ? await confirm('Install Ollama now with its official installer (curl -fsSL https://ollama.com/install.sh | sh)?', false) : argv.installBackend === true
      if (install) {
        await (deps.installOllama ?? runInstaller)()
        backend = createBackend({ kind: backendKind, baseUrl: backendUrl || undefined, timeoutMs: base.backendTimeoutMs })
        health = await backend.health().catch((err: Error) => ({ ok: false as const, reason: err.message }))
      }
    }
    if (!health.ok) say(`Warning: the backend is not healthy (${health.reason}); the node will announce no model until it is.`)
    else say(`Backend ${backendKind} is up${health.version ? ` (version ${health.version})` : ''}`)

    // 4. models
    let models = base.models
    if (health.ok) {
      const available = (await backend.listModels().catch(() => [])).map((m) => m.id)
      if (models.length === 0 && available.length === 0 && backend.pull) {
        // On CPU a model must fit in RAM instead.
        const memory = gpus.length > 0 ? Math.max(0, ...gpus.map((g) => g.vramMiB)) : (host?.ramMiB ?? 0)
        const suggestion = recommendModel(memory)
        const fits = gpus.length > 0 ? `${memory} MiB VRAM` : `${formatGiB(memory)} RAM`
        const pull = interactive ? await confirm(`The backend has no model. Pull ${suggestion} (fits ${fits})?`, true) : argv.pull !== false
        if (pull) {
          const name = await ask('Model to pull', suggestion)
          let last = 0
          let lastStatus = ''
          await backend.pull(name, {
            onProgress: (p) => {
              const t = Date.now()
              // Redrawn at most every 100 ms, and whenever the step changes or a download completes.
              if (t - last > 100 || p.status !== lastStatus || (p.total !== undefined && p.completed === p.total)) {
                last = t
                lastStatus = p.status
                stderr.write(`\r${progressBar(p)}`.padEnd(70))
              }
            },
          })
          stderr.write('\n')
          models = [name.endsWith(':latest') ? name.slice(0, -7) : name]
        }
      } else if (models.length === 0 && interactive) {
        const chosen = await ask('Models to serve (comma-separated, empty = all)', available.join(','))
        models = chosen === available.join(',') ? [] : chosen.split(',').map((s) => s.trim()).filter(Boolean)
      }
    }

    // 5. price and relays
    const checked = {
      priceIn: await askValid('Price per million input tokens (token base units, 0 = free)', base.priceIn, 'input price', baseUnits),
      priceOut: await askValid('Price per million output tokens (token base units, 0 = free)', base.priceOut, 'output price', baseUnits),
      relays: await askValid('Relays (comma-separated)', base.relays.join(','), 'relays', relayList),
      backend: backendKind,
    }

    // 6. write node.json (existing keys kept, ours updated)
    const config = { ...base, ...checked, backendUrl, models }
    const file = {
      ...existing,
      ...Object.fromEntries(Object.entries(nodeFlags(argv)).filter(([, v]) => v !== undefined)),
      ...checked,
      backendUrl,
      models,
    }
    writeFileSync(nodeConfigPath(home), JSON.stringify(file, null, 2) + '\n', { mode: 0o600 })
    say(`Wrote ${nodeConfigPath(home)}`)

    // 7. publish the capability
    const served = health.ok ? await servedModels(backend, models).catch(() => []) : []
    let capability: { id: string; accepted: string[] } | undefined
    if (served.length === 0) {
      say('No model to announce yet: the capability is published by `infernet start` once the backend serves one.')
    } else {
      const stream = config.announceStream ? config.publicUrl || `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}` : null
      const content = buildCapabilityContent({ config, models: served, gpus, stream })
      const event = await buildCapability(signer, content, { ttl: config.capabilityTtl })
      const pool = createRelayPool({ urls: config.relays, WebSocket: WebSocket as unknown as WebSocketConstructor })
      try {
        await pool.ready({ min: config.relays.length, timeoutMs: 5000 })
        const outcomes = await pool.publish(event)
        capability = { id: event.id, accepted: outcomes.filter((o) => o.ok).map((o) => o.relay) }
        say(`Published capability ${event.id.slice(0, 12)}… to ${capability.accepted.length} relay(s)`)
      } finally {
        pool.close()
      }
    }
    const summary = {
      pubkey: identity.pubkey,
      npub: identity.npub,
      config: nodeConfigPath(home),
      backend: { kind: config.backend, url: backend.baseUrl, healthy: health.ok },
      models: served.map((m) => m.id),
      gpus,
      price: { input: config.priceIn, output: config.priceOut },
      relays: config.relays,
      capability: capability ?? null,
    }
    if (argv.json) printJson(summary)
    else (deps.stdout ?? ((l: string) => process.stdout.write(l + '\n')))(`Node ${identity.npub} is set up. Start it with: infernet start${argv.home ? ` --home ${argv.home}` : ''}`)
  } finally {
    rl?.close()
  }
}

function formatGiB(mib: number): string {
  return `${Math.round(mib / 1024)} GiB`
}
