// viem-style errors: a one-line shortMessage, hints the user can act on, a pointer into nips/ and the cause chain.
// `message` joins them so a plain `console.error(err.message)` is already useful.

export type BaseErrorParameters = {
  metaMessages?: string[] | undefined
  details?: string | undefined
  docsPath?: string | undefined
  cause?: unknown
}

export class BaseError extends Error {
  override name = 'InfernetError'
  readonly shortMessage: string
  readonly metaMessages: string[]
  readonly details: string | undefined
  readonly docsPath: string | undefined
  /** Stable machine-readable code; subclasses set it (used in JSON errors and status events). */
  code = 'error'

  constructor(shortMessage: string, parameters: BaseErrorParameters = {}) {
    const { metaMessages = [], details, docsPath, cause } = parameters
    const causeMessage = cause instanceof Error ? (cause as BaseError).shortMessage ?? cause.message : undefined
    const effectiveDetails = details ?? causeMessage
    const lines = [
      shortMessage,
      ...(metaMessages.length ? ['', ...metaMessages] : []),
      ...(docsPath ? ['', `Docs: nips/${docsPath}`] : []),
      ...(effectiveDetails ? ['', `Details: ${effectiveDetails}`] : []),
    ]
    super(lines.join('\n'), cause === undefined ? undefined : { cause })
    this.shortMessage = shortMessage
    this.metaMessages = metaMessages
    this.details = effectiveDetails
    this.docsPath = docsPath
  }
}

/** Removes user:password from a URL before it reaches an error message or a log line. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.username || u.password) {
      u.username = '***'
      u.password = ''
    }
    for (const key of [...u.searchParams.keys()]) {
      if (/key|token|secret|auth/i.test(key)) u.searchParams.set(key, '***')
    }
    return u.toString()
  } catch {
    return url
  }
}
