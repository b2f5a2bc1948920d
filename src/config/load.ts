// One typed loader for every executable: defaults < config file < environment < flags. Each executable
// declares its keys (with env name, default and description) in its own config module; only those modules
// and the CLI entry read process.env.
import { existsSync, readFileSync } from 'node:fs'
import { BaseError } from '../errors/base.ts'

export type ConfigKey<T> = {
  env: string
  default: T
  description: string
  parse: (raw: unknown) => T
  /** Never printed (keys, RPC credentials). */
  secret?: boolean | undefined
}

export type ConfigSchema = Record<string, ConfigKey<unknown>>
export type ConfigValues<S extends ConfigSchema> = { [K in keyof S]: S[K] extends ConfigKey<infer T> ? T : never }
export type ConfigSource = 'default' | 'file' | 'env' | 'flag'

export class ConfigError extends BaseError {
  override name = 'ConfigError'
  override code = 'config'
  constructor(key: string, source: string, reason: string) {
    super(`Invalid configuration value for ${key} (from ${source}): ${reason}`)
  }
}

export function key<T>(env: string, defaultValue: T, description: string, parse: (raw: unknown) => T, secret = false): ConfigKey<T> {
  return { env, default: defaultValue, description, parse, secret }
}

export const parsers = {
  string: (raw: unknown): string => {
    if (typeof raw !== 'string') throw new Error('expected a string')
    return raw
  },
  int: (raw: unknown): number => {
    const n = typeof raw === 'number' ? raw : Number(String(raw).trim())
    if (!Number.isInteger(n)) throw new Error(`expected an integer, got "${String(raw)}"`)
    return n
  },
  port: (raw: unknown): number => {
    const n = parsers.int(raw)
    if (n < 0 || n > 65535) throw new Error(`expected a port 0-65535, got ${n}`)
    return n
  },
  number: (raw: unknown): number => {
    const n = typeof raw === 'number' ? raw : Number(String(raw).trim())
    if (!Number.isFinite(n)) throw new Error(`expected a number, got "${String(raw)}"`)
    return n
  },
  bool: (raw: unknown): boolean => {
    if (typeof raw === 'boolean') return raw
    const s = String(raw).trim().toLowerCase()
    if (['1', 'true', 'yes', 'on'].includes(s)) return true
    if (['0', 'false', 'no', 'off', ''].includes(s)) return false
    throw new Error(`expected true/false, got "${String(raw)}"`)
  },
  /** Comma- or whitespace-separated list in env; an array in files and flags. */
  list: (raw: unknown): string[] => {
    if (Array.isArray(raw)) return raw.flatMap((v) => parsers.list(v))
    return String(raw).split(/[\s,]+/).filter(Boolean)
  },
  bigint: (raw: unknown): bigint => {
    const s = String(raw).trim()
    if (!/^\d+$/.test(s)) throw new Error(`expected a non-negative integer amount, got "${s}"`)
    return BigInt(s)
  },
  optionalString: (raw: unknown): string | undefined => (raw === undefined || raw === '' ? undefined : String(raw)),
}

export type LoadConfigOptions = {
  /** JSON config file; a missing file is fine, a malformed one is an error. */
  file?: string | undefined
  env?: Record<string, string | undefined> | undefined
  /** Values from command-line flags, keyed by config key; undefined entries are ignored. */
  flags?: Record<string, unknown> | undefined
}

export function readConfigFile(file: string | undefined): Record<string, unknown> {
  if (!file || !existsSync(file)) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (cause) {
    throw new BaseError(`Config file ${file} is not valid JSON.`, { cause, metaMessages: ['Fix or delete the file.'] })
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BaseError(`Config file ${file} must hold a JSON object.`)
  }
  return parsed as Record<string, unknown>
}

export function loadConfig<S extends ConfigSchema>(schema: S, options: LoadConfigOptions = {}): { values: ConfigValues<S>; sources: Record<keyof S, ConfigSource> } {
  const { env = process.env, flags = {} } = options
  const file = readConfigFile(options.file)
  const values = {} as Record<string, unknown>
  const sources = {} as Record<string, ConfigSource>
  for (const [name, spec] of Object.entries(schema)) {
    let raw: unknown = spec.default
    let source: ConfigSource = 'default'
    if (file[name] !== undefined) [raw, source] = [file[name], 'file']
    if (env[spec.env] !== undefined && env[spec.env] !== '') [raw, source] = [env[spec.env], 'env']
    if (flags[name] !== undefined) [raw, source] = [flags[name], 'flag']
    if (source === 'default') {
      values[name] = spec.default
    } else {
      try {
        values[name] = spec.parse(raw)
      } catch (err) {
        const where = source === 'env' ? `$${spec.env}` : source === 'file' ? options.file! : `--${name}`
        throw new ConfigError(name, where, (err as Error).message)
      }
    }
    sources[name] = source
  }
  return { values: values as ConfigValues<S>, sources: sources as Record<keyof S, ConfigSource> }
}

/** Lines for `--help`: every environment variable with its default and description. */
/** The width `infernet --help` wraps at (src/app/cli.ts uses the same). */
export function helpWidth(columns = process.stdout.columns): number {
  return Math.min(120, columns || 100)
}

/** Words of `text` in lines of at most `width` characters (a longer word gets a line of its own). */
function wrapWords(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) lines.push(line)
  return lines
}

/** The "Environment:" section of a command's help: names in one aligned column, descriptions wrapped beside
 * them with a hanging indent, so no line is cut in half when the terminal is narrower than the text. */
export function describeEnv(schema: ConfigSchema, width = helpWidth()): string {
  const specs = Object.values(schema)
  const nameWidth = Math.max(...specs.map((spec) => spec.env.length))
  const indent = ' '.repeat(2 + nameWidth + 2)
  const textWidth = Math.max(30, width - indent.length)
  const rows = specs.flatMap((spec) => {
    const def = spec.secret ? '(secret)' : Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default ?? '')
    const [first = '', ...rest] = wrapWords(`${spec.description}${def ? ` [default: ${def}]` : ''}`, textWidth)
    return [`  ${spec.env.padEnd(nameWidth)}  ${first}`, ...rest.map((l) => indent + l)]
  })
  return ['Environment:', ...rows].join('\n')
}
