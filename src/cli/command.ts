// Shared pieces of every `infernet` command: global options, error printing, JSON/table output.
// Command modules keep their builders light and import their implementation inside the handler, so
// `infernet --help` does not load every part of the tree.
import type { Argv, CommandModule } from 'yargs'
import { BaseError } from '../errors/base.ts'

export type GlobalOptions = {
  home?: string | undefined
  relay?: string[] | undefined
  json?: boolean | undefined
  verbose?: boolean | undefined
}

// Each command has its own argument shape; yargs cannot express a list of them more precisely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type InfernetCommand = CommandModule<GlobalOptions, any>

/** --relay, for the commands that talk to relays (each adds it; `keys` or `stop` have no use for it). */
export const relayOption = { type: 'string', array: true, describe: 'Relay URL; repeat for several (env INFERNET_RELAYS)' } as const

export function withGlobalOptions<T>(yargs: Argv<T>): Argv<T & GlobalOptions> {
  return yargs
    .option('home', { type: 'string', describe: 'Directory for keys, config and data (env INFERNET_HOME)', global: true })
    .option('json', { type: 'boolean', describe: 'Machine-readable output (JSON; JSON lines for streams)', global: true })
    .option('verbose', { type: 'boolean', describe: 'On failure, print details and the cause chain', global: true }) as Argv<T & GlobalOptions>
}

/** Prints an error the way every command does: short message and hints; details and causes with --verbose. */
export function formatError(err: unknown, verbose = false): string {
  if (err instanceof BaseError) {
    const lines = [`Error: ${err.shortMessage}`, ...err.metaMessages.map((m) => `  ${m}`)]
    if (err.docsPath) lines.push(`  Docs: nips/${err.docsPath}`)
    if (verbose) {
      if (err.details) lines.push(`  Details: ${err.details}`)
      let cause = err.cause
      while (cause) {
        lines.push(`  Caused by: ${cause instanceof Error ? cause.stack ?? cause.message : String(cause)}`)
        cause = cause instanceof Error ? cause.cause : undefined
      }
    }
    return lines.join('\n')
  }
  if (err instanceof Error) return verbose ? `Error: ${err.stack ?? err.message}` : `Error: ${err.message}`
  return `Error: ${String(err)}`
}

/** Renders rows as an aligned text table for stdout. */
export function table(rows: Record<string, unknown>[], columns?: string[]): string {
  if (rows.length === 0) return '(none)'
  const cols = columns ?? Object.keys(rows[0]!)
  const cell = (v: unknown) => (v === undefined || v === null ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v))
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)))
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(cols.map((c) => c.toUpperCase())), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n')
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) + '\n')
}
