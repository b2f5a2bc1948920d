// The gateway's server-sent events, written straight to Node's response when the app runs under @hono/node-server:
// Hono's streamSSE goes through a web TransformStream and a reader loop per frame (about 45-50 µs of CPU per frame
// in the gateway, most of its per-token cost under load), while this is one string per frame on the socket, the
// frames of one tick corked into one write, with backpressure (a send waits for the socket to drain). Anywhere else
// (app.request in tests, another runtime) it falls back to streamSSE, with the same frames.
import type { ServerResponse } from 'node:http'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import type { Context } from 'hono'
import { streamSSE } from 'hono/streaming'

export type EventSink = {
  /** One event: `data` (no newlines: JSON or `[DONE]`) and an optional `event` name. Resolves when it may continue. */
  send(data: string, event?: string): Promise<void>
  /** Called once if the caller goes away before the stream ends. */
  onAbort(listener: () => void): void
}

const frame = (data: string, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${data}\n\n`

export function streamEvents(c: Context, run: (sink: EventSink) => Promise<void>): Response {
  const res = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing
  if (!res || typeof res.writeHead !== 'function') {
    return streamSSE(c, (stream) => run({ send: (data, event) => stream.writeSSE({ data, ...(event ? { event } : {}) }), onAbort: (l) => stream.onAbort(l) }))
  }
  const requestId = c.get('requestId') as string | undefined
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...(requestId ? { 'x-request-id': requestId } : {}),
  })
  let gone = false
  const abortListeners: (() => void)[] = []
  res.on('close', () => {
    if (res.writableFinished) return
    gone = true
    for (const l of abortListeners.splice(0)) l()
  })
  let corked = false
  const sink: EventSink = {
    send(data, event) {
      if (gone) return Promise.resolve()
      if (!corked) {
        corked = true
        res.cork()
        process.nextTick(() => {
          corked = false
          res.uncork()
        })
      }
      if (res.write(frame(data, event))) return Promise.resolve()
      return new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done)
          res.off('close', done)
          resolve()
        }
        res.on('drain', done)
        res.on('close', done)
      })
    },
    onAbort(listener) {
      if (gone) listener()
      else abortListeners.push(listener)
    },
  }
  void run(sink)
    .catch(() => {})
    .finally(() => {
      if (!gone) res.end()
    })
  return RESPONSE_ALREADY_SENT
}
