// Log lines go to stderr, prefixed with the component and ids: `[relay] [conn 12] closed`. stdout is for
// results only. Nothing that could hold a prompt, an output or a key may be passed to a logger.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 }

export type Logger = {
  debug(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
  child(prefix: string): Logger
}

export type CreateLoggerParameters = {
  component: string
  level?: LogLevel | undefined
  write?: ((line: string) => void) | undefined
  json?: boolean | undefined
}

export function createLogger({ component, level = 'info', write = (line) => process.stderr.write(line + '\n'), json = false }: CreateLoggerParameters): Logger {
  const threshold = order[level] ?? order.info
  const make = (prefix: string): Logger => {
    const emit = (lvl: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>) => {
      if (order[lvl] < threshold) return
      if (json) {
        write(JSON.stringify({ t: new Date().toISOString(), level: lvl, component: prefix, msg: message, ...fields }))
        return
      }
      const extra = fields && Object.keys(fields).length ? ' ' + Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ') : ''
      write(`${new Date().toISOString()} ${lvl.toUpperCase().padEnd(5)} ${prefix} ${message}${extra}`)
    }
    return {
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      child: (p) => make(`${prefix} ${p}`),
    }
  }
  return make(`[${component}]`)
}

/** A logger that drops everything; the default in tests and libraries. */
export const silentLogger: Logger = createLogger({ component: 'silent', level: 'silent' })
