// The thin I/O edge every HTTP adapter goes through. One request = one AbortController that is aborted by
// the caller's signal, by the idle timer, or when the consumer stops reading (which closes the socket, so
// the backend stops generating). `timeoutMs` bounds the time to response headers and every gap between
// body chunks; time the consumer spends between reads is not counted. Failures come out as BackendError.
import { BackendError, errorText, matchBackendReason, parseRetryAfter } from '../errors/backend.ts'
import type { BackendErrorReason } from '../errors/backend.ts'
import { fetchTransport, undiciTransport, type TransportResponse } from './transport.ts'

export type HttpRequestParameters = {
  /** A fetch to send through instead of undici's request (transport.ts). */
  fetch?: typeof fetch | undefined
  url: string
  method?: 'GET' | 'POST' | undefined
  body?: unknown
  timeoutMs: number
  signal?: AbortSignal | undefined
  backend: string
}

export type HttpRequestReturnType = {
  status: number
  /** Body split into lines (\n or \r\n), each gap between chunks bounded by timeoutMs. */
  lines(): AsyncGenerator<string, void, undefined>
  /**
   * The same lines, grouped by network read: one batch per body chunk. Streaming adapters use it to hand on one
   * delta per read instead of one per token (a backend at thousands of tokens/s writes several per chunk).
   */
  lineBatches(): AsyncGenerator<string[], void, undefined>
  /** Whole body as JSON (bounded by timeoutMs per chunk). */
  json(): Promise<unknown>
  /** Aborts the request and closes the socket; safe to call twice. */
  close(): void
}

/** Extracts a human message from the error bodies the supported servers send. */
export function errorMessageFromBody(text: string): string {
  try {
    const body = JSON.parse(text) as Record<string, unknown>
    const err = body.error
    if (typeof err === 'string') return err
    if (err && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string') return (err as { message: string }).message
    if (typeof body.message === 'string') return body.message
    if (typeof body.detail === 'string') return body.detail
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 500)
}

export async function httpRequest(parameters: HttpRequestParameters): Promise<HttpRequestReturnType> {
  const { fetch, url, method = 'GET', body, timeoutMs, signal, backend } = parameters
  const controller = new AbortController()
  let state: 'open' | 'timeout' | 'cancelled' | 'closed' = 'open'
  let timer: ReturnType<typeof setTimeout> | undefined
  // The idle limit runs from `armedAt`; while reads keep coming, the one timer is moved lazily when it fires
  // (re-creating a timer per body chunk costs more than the chunk at thousands of tokens/s).
  let armedAt = 0
  let armed = false
  const disarm = () => {
    armed = false
  }
  const fire = () => {
    timer = undefined
    if (state !== 'open' || !armed) return
    const idle = performance.now() - armedAt
    if (idle < timeoutMs) {
      timer = setTimeout(fire, timeoutMs - idle)
      return
    }
    state = 'timeout'
    controller.abort(new Error(`no data from backend for ${timeoutMs} ms`))
  }
  const arm = () => {
    armedAt = performance.now()
    armed = true
    timer ??= setTimeout(fire, timeoutMs)
  }
  const stopTimer = () => {
    armed = false
    if (timer) clearTimeout(timer)
    timer = undefined
  }
  const onAbort = () => {
    if (state !== 'open') return
    state = 'cancelled'
    stopTimer()
    controller.abort(signal?.reason)
  }
  const close = () => {
    stopTimer()
    signal?.removeEventListener('abort', onAbort)
    if (state === 'open') state = 'closed'
    controller.abort()
  }
  const fail = (phase: 'connect' | 'body', err: unknown, status?: number): BackendError => {
    close()
    if (err instanceof BackendError) return err
    let reason: BackendErrorReason
    if (state === 'timeout') reason = 'timeout'
    else if (state === 'cancelled') reason = 'cancelled'
    else if (phase === 'body') reason = 'stream-error'
    else reason = matchBackendReason({ message: errorText(err) }) ?? 'unavailable'
    return new BackendError({ reason, backend, url, status, details: reason === 'timeout' ? `no data for ${timeoutMs} ms` : errorText(err), cause: err })
  }

  if (signal?.aborted) throw new BackendError({ reason: 'cancelled', backend, url })
  let payload: string | undefined
  try {
    payload = body === undefined ? undefined : JSON.stringify(body)
  } catch (err) {
    // What the request carries (a job's parameters) cannot be sent: its fault, not the backend's being down.
    throw new BackendError({ reason: 'bad-request', backend, url, details: `the request cannot be serialized as JSON: ${errorText(err)}`, cause: err })
  }
  signal?.addEventListener('abort', onAbort, { once: true })
  arm()
  let response: TransportResponse
  try {
    response = await (fetch ? fetchTransport(fetch) : undiciTransport)(url, {
      method,
      signal: controller.signal,
      ...(payload === undefined ? {} : { body: payload, headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream, application/x-ndjson' } }),
    })
  } catch (err) {
    throw fail('connect', err)
  }
  const ok = response.status >= 200 && response.status < 300

  async function* lineBatches(): AsyncGenerator<string[], void, undefined> {
    const reader = response.body
    if (!reader) return
    const decoder = new TextDecoder()
    let buffer = ''
    let finished = false
    try {
      for (;;) {
        arm()
        let chunk: IteratorResult<Uint8Array>
        try {
          chunk = await reader.next()
        } catch (err) {
          throw fail('body', err, response.status)
        }
        disarm()
        if (chunk.done) break
        buffer += decoder.decode(chunk.value, { stream: true })
        const batch: string[] = []
        let start = 0
        let nl: number
        while ((nl = buffer.indexOf('\n', start)) >= 0) {
          batch.push(buffer.endsWith('\r', nl) ? buffer.slice(start, nl - 1) : buffer.slice(start, nl))
          start = nl + 1
        }
        buffer = buffer.slice(start)
        if (batch.length > 0) yield batch
      }
      buffer += decoder.decode()
      if (buffer) yield [buffer]
      finished = true
    } finally {
      if (!finished) close()
      else {
        stopTimer()
        signal?.removeEventListener('abort', onAbort)
      }
    }
  }

  async function* lines(): AsyncGenerator<string, void, undefined> {
    for await (const batch of lineBatches()) yield* batch
  }

  const text = async (): Promise<string> => {
    let out = ''
    for await (const line of lines()) out += line + '\n'
    return out
  }

  if (!ok) {
    let message = ''
    try {
      message = errorMessageFromBody(await text())
    } catch (err) {
      if (err instanceof BackendError && (err.reason === 'cancelled' || err.reason === 'timeout')) throw err
    }
    close()
    const reason = matchBackendReason({ status: response.status, message }) ?? (response.status >= 500 ? 'unavailable' : 'bad-request')
    throw new BackendError({
      reason,
      backend,
      url,
      status: response.status,
      retryAfterMs: parseRetryAfter(response.header('retry-after')),
      details: message || `HTTP ${response.status}`,
    })
  }

  return {
    status: response.status,
    lines,
    lineBatches,
    close,
    json: async () => {
      const t = await text()
      try {
        return JSON.parse(t) as unknown
      } catch (err) {
        throw new BackendError({ reason: 'internal', backend, url, details: `invalid JSON from backend: ${t.slice(0, 200)}`, cause: err })
      }
    },
  }
}
