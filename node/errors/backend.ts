// The one error type every backend adapter throws. Adapters never throw raw fetch or parse errors: they
// classify the upstream failure (HTTP status, body text, socket error, timeout, abort) into a `reason`
// with `classifyBackendError`, using the static matchers below in the style of viem's `static nodeMessage`.
import { BaseError, redactUrl } from '../../src/errors/base.ts'

export type BackendErrorReason =
  | 'unavailable' // nothing listens, connection refused/reset before a response, 5xx without a better match
  | 'loading' // the server is up but the model is still loading (503 while loading)
  | 'model-not-found' // the backend does not have the requested model
  | 'timeout' // no first byte, or no bytes for longer than timeoutMs between chunks
  | 'bad-request' // the backend rejected the request itself (400, 413, 415, 422): the client's doing
  | 'misconfigured' // the backend refused the node (401/403: credentials; 404/405: a wrong URL or API): the node's doing
  | 'context-length' // the prompt (plus max_tokens) does not fit the model's context on this backend
  | 'stream-error' // the stream broke after it started: an in-stream error, a dropped socket, a missing final record
  | 'cancelled' // the caller aborted
  | 'internal' // anything else (a bug on either side)

export type BackendErrorParameters = {
  reason: BackendErrorReason
  backend?: string | undefined
  url?: string | undefined
  status?: number | undefined
  retryAfterMs?: number | undefined
  details?: string | undefined
  cause?: unknown
}

const retryableReasons: Record<BackendErrorReason, boolean> = {
  unavailable: true,
  loading: true,
  'model-not-found': false,
  timeout: true,
  'bad-request': false,
  misconfigured: false,
  'context-length': false,
  'stream-error': true,
  cancelled: false,
  internal: false,
}

const hints: Record<BackendErrorReason, string[]> = {
  unavailable: ['Ensure that:', '- the backend server is running and listens on the configured URL', '- INFERNET_BACKEND_URL points at it'],
  loading: ['The backend is still loading the model; retry after a short wait.'],
  'model-not-found': ['Ensure that:', '- the model is pulled or served by the backend (`ollama pull <model>`, `vllm serve <model>`)', '- the model id matches the one the backend lists'],
  timeout: ['Ensure that:', '- the backend is not overloaded or stuck', '- the timeout fits the model size (first token can be slow on a cold model)'],
  'bad-request': ['The backend rejected the request; check the parameters (max tokens, context length, stop sequences).'],
  misconfigured: ['The backend refused this node: check INFERNET_BACKEND_URL (the server and its API path) and the credentials the backend expects.'],
  'context-length': ['Shorten the conversation or lower max_tokens; the backend serves fewer tokens per request than this one needs.'],
  'stream-error': ['The stream broke after it started; the job may be retried or resumed.'],
  cancelled: ['The request was cancelled by the caller.'],
  internal: ['This is likely a bug; run with --verbose and report the details.'],
}

const shortMessages: Record<BackendErrorReason, string> = {
  unavailable: 'Backend is unavailable.',
  loading: 'Backend is loading the model.',
  'model-not-found': 'Model not found on the backend.',
  timeout: 'Backend timed out.',
  'bad-request': 'Backend rejected the request.',
  misconfigured: 'Backend refused the node (URL or credentials).',
  'context-length': 'The prompt does not fit the model\'s context.',
  'stream-error': 'Backend stream failed.',
  cancelled: 'Backend request was cancelled.',
  internal: 'Backend failed with an internal error.',
}

export type BackendErrorMatcher = { reason: BackendErrorReason; status?: number[] | undefined; message?: RegExp | undefined }

export class BackendError extends BaseError {
  override name = 'BackendError'
  override code: string
  readonly reason: BackendErrorReason
  readonly retryable: boolean
  readonly retryAfterMs: number | undefined
  readonly status: number | undefined
  readonly backend: string | undefined

  /**
   * Ordered matchers from upstream status/message to reason; the first that matches wins. A matcher with both
   * `status` and `message` needs both. Messages cover Ollama, vLLM, SGLang, MAX, llama.cpp and undici errors.
   */
  static matchers: BackendErrorMatcher[] = [
    { reason: 'unavailable', message: /server busy|maximum pending requests|overloaded/i },
    { reason: 'loading', message: /loading model|model is loading|model.*(still )?loading|not ready/i },
    { reason: 'model-not-found', message: /model ['"]?.*['"]? not found|model .*does not exist|no such model|unknown model|model_not_found|pull the model|try pulling it/i },
    { reason: 'model-not-found', status: [404], message: /model/i },
    { reason: 'loading', status: [503] },
    // llama-server: "request (3017 tokens) exceeds the available context size (1024 tokens)" (exceed_context_size_error);
    // vLLM/SGLang: "This model's maximum context length is 4096 tokens. However, you requested ..."
    { reason: 'context-length', status: [400, 413, 422], message: /exceeds? the available context size|exceed_context_size|maximum context length|context length (is )?exceeded|prompt is too long/i },
    { reason: 'misconfigured', status: [401, 403, 404, 405] },
    { reason: 'bad-request', status: [400, 413, 415, 422] },
    // Ollama answers a job option of the wrong type with a 500: "option \"top_k\" must be of type integer".
    { reason: 'bad-request', status: [500], message: /^option "[^"]+" must be of (type|an array)/ },
    { reason: 'unavailable', status: [429, 500, 502, 504] },
    { reason: 'unavailable', message: /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|connect|fetch failed|socket hang up/i },
  ]

  constructor(parameters: BackendErrorParameters) {
    const { reason, backend, url, status, retryAfterMs, details, cause } = parameters
    const where = [backend, url ? redactUrl(url) : undefined].filter(Boolean).join(' at ')
    super(where ? `${shortMessages[reason]} (${where}${status ? `, HTTP ${status}` : ''})` : shortMessages[reason], {
      metaMessages: hints[reason],
      details,
      cause,
    })
    this.reason = reason
    this.code = `backend-${reason}`
    this.retryable = retryableReasons[reason]
    this.retryAfterMs = retryAfterMs
    this.status = status
    this.backend = backend
  }
}

/**
 * Statuses by which the engine says the request itself was wrong. Their message echoes what the client sent (an
 * unknown parameter's name, say), so it may pick between the client's reasons (bad request, over the context) but
 * never make the answer read as the node's failure ("overloaded", "not ready", "model_not_found").
 */
const requestFaultStatuses: ReadonlySet<number> = new Set([400, 413, 415, 422])
const requestFaultReasons: ReadonlySet<BackendErrorReason> = new Set(['bad-request', 'context-length'])

/** Picks the reason for an upstream failure from its HTTP status and message via `BackendError.matchers`. */
export function matchBackendReason(params: { status?: number | undefined; message?: string | undefined }): BackendErrorReason | undefined {
  const { status, message } = params
  const requestFault = status !== undefined && requestFaultStatuses.has(status)
  for (const m of BackendError.matchers) {
    if (requestFault && !requestFaultReasons.has(m.reason)) continue
    if (m.status && (status === undefined || !m.status.includes(status))) continue
    if (m.message && (message === undefined || !m.message.test(message))) continue
    return m.reason
  }
  return undefined
}

/** Parses a Retry-After header (seconds or HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** Collects the messages of an error and its causes (undici puts ECONNREFUSED in `cause.code`). */
export function errorText(err: unknown): string {
  const parts: string[] = []
  let e: unknown = err
  for (let i = 0; e && i < 5; i++) {
    if (e instanceof Error) {
      parts.push(e.message)
      const code = (e as { code?: unknown }).code
      if (typeof code === 'string') parts.push(code)
      e = e.cause
    } else {
      parts.push(String(e))
      break
    }
  }
  return parts.join(': ')
}
