// The wire under httpRequest: one request out, a status, headers and a body to read. By default undici's
// `request` (the Dispatcher API, keep-alive sockets from undici's global pool): a streamed backend call costs
// about a third of what the WHATWG fetch costs (no Request/Response objects, no web streams), and that cost sits on
// every job's time to first token (bench/node/stream.bench.ts). An injected `fetch` (tests routing probes to fakes,
// an operator's own) goes through the same interface.
import { request as undiciRequest } from 'undici'

export type TransportRequest = {
  method: 'GET' | 'POST'
  body?: string | undefined
  headers?: Record<string, string> | undefined
  /** Aborting it ends the request and closes its socket, also mid-body. */
  signal: AbortSignal
}

export type TransportResponse = {
  status: number
  header(name: string): string | null
  /** The body's bytes as they arrive; undefined when there is none. */
  body: AsyncIterator<Uint8Array> | undefined
}

export type Transport = (url: string, init: TransportRequest) => Promise<TransportResponse>

export const undiciTransport: Transport = async (url, { method, body, headers, signal }) => {
  const res = await undiciRequest(url, { method, signal, ...(body === undefined ? {} : { body }), ...(headers ? { headers } : {}) })
  return {
    status: res.statusCode,
    header(name) {
      const v = res.headers[name.toLowerCase()]
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v
    },
    body: (res.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator](),
  }
}

export function fetchTransport(fetchFn: typeof fetch): Transport {
  return async (url, { method, body, headers, signal }) => {
    const res = await fetchFn(url, { method, signal, ...(body === undefined ? {} : { body }), ...(headers ? { headers } : {}) })
    const reader = res.body?.getReader()
    return {
      status: res.status,
      header: (name) => res.headers.get(name),
      body: reader && {
        next: async () => {
          const r = await reader.read()
          return r.done ? { done: true, value: undefined } : { done: false, value: r.value }
        },
      },
    }
  }
}
