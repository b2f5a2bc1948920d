// Timer-batched token pacing shared by the fake backends. One interval per server, whatever the number of
// streams: every tick, each stream writes all tokens that are due by wall clock in ONE socket write. That
// keeps 2,000 tok/s per stream and 64+ concurrent streams accurate (a timer per token would drift and
// swamp the event loop).
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export type PacedStream = {
  /** Number of tokens to emit before calling onEnd. */
  total: number
  /** Tokens per second; 0 or Infinity means all at once. */
  tokensPerSecond: number
  /** Writes tokens [from, to) as one socket write. */
  write(from: number, to: number): void
  onEnd(): void
}

type Entry = PacedStream & { start: number; sent: number }

export function createPacer(tickMs = 4): { add(stream: PacedStream): () => void; stop(): void } {
  const streams = new Set<Entry>()
  let timer: ReturnType<typeof setInterval> | undefined
  const step = (e: Entry) => {
    const instant = !e.tokensPerSecond || !Number.isFinite(e.tokensPerSecond)
    const due = instant ? e.total : Math.min(e.total, 1 + Math.floor(((performance.now() - e.start) * e.tokensPerSecond) / 1000))
    if (due > e.sent) {
      const from = e.sent
      e.sent = due
      e.write(from, due)
    }
    if (e.sent >= e.total) {
      streams.delete(e)
      e.onEnd()
    }
  }
  const tick = () => {
    for (const e of streams) step(e)
    if (streams.size === 0 && timer) {
      clearInterval(timer)
      timer = undefined
    }
  }
  return {
    add(stream) {
      const e: Entry = { ...stream, start: performance.now(), sent: 0 }
      streams.add(e)
      step(e)
      if (streams.has(e) && !timer) timer = setInterval(tick, tickMs)
      return () => streams.delete(e)
    },
    stop() {
      streams.clear()
      if (timer) clearInterval(timer)
      timer = undefined
    },
  }
}

export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  return text ? (JSON.parse(text) as Record<string, unknown>) : {}
}

/** The `hang` fault: the request stays open and silent until the client gives up, which counts as cancelled. */
export function hangUntilClosed(res: ServerResponse, stats: FakeStats): void {
  stats.activeStreams++
  res.on('close', () => {
    stats.activeStreams--
    stats.cancelled++
  })
}

/**
 * Counts an open stream. When it closes, `onClose` runs, and a stream that neither finished nor was dropped on
 * purpose (`drop`, the `dropAfter` fault) counts as cancelled by the client.
 */
export function trackStream(res: ServerResponse, stats: FakeStats, onClose: () => void): { drop(): void } {
  stats.activeStreams++
  let dropped = false
  res.on('close', () => {
    stats.activeStreams--
    if (!res.writableFinished && !dropped) stats.cancelled++
    onClose()
  })
  return {
    drop() {
      dropped = true
      res.socket?.destroy()
    },
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

/** Counts prompt tokens the way the fakes report them: words per message + 5 for the template (deliberately
 * different from the adapters' fallback estimate, so tests can tell reported usage from counted usage). */
export function fakePromptTokens(messages: unknown): number {
  if (!Array.isArray(messages)) return 0
  let n = 0
  for (const m of messages as { content?: unknown }[]) n += (typeof m.content === 'string' ? (m.content.match(/\S+/g)?.length ?? 0) : 0) + 5
  return n
}

export type FakeFaults = {
  /** The first N chat requests answer 503 (+ Retry-After: 1, and the server's loading body); health is 503 meanwhile. */
  loading503?: number | undefined
  /** SSE `: ping` comment every N ms while a stream is open (OpenAI flavors only). */
  pingEveryMs?: number | undefined
  /** After N tokens, an in-stream error in the backend's format, then the stream ends. */
  midStreamErrorAfter?: number | undefined
  /** After N tokens, destroy the socket. */
  dropAfter?: number | undefined
  /** Accept chat requests and never answer. */
  hang?: boolean | undefined
  /** false: omit usage (Ollama's counts, OpenAI's usage chunk). */
  usage?: boolean | undefined
}

export type FakeStats = {
  /** Every HTTP request received. */
  requests: number
  /** Chat requests received (whatever their outcome). */
  chats: number
  activeStreams: number
  /** Chat responses whose socket closed before the response ended (client abort). */
  cancelled: number
  /** The last chat request body, parsed. */
  lastChatBody: Record<string, unknown> | undefined
}

export type FakeBackendOptions = {
  /** Model ids served (Ollama: names, `:latest` added when untagged). */
  models?: string[] | undefined
  reply?: string | ((body: Record<string, unknown>) => string) | undefined
  ttftMs?: number | undefined
  /** Default 0 = as fast as possible. */
  tokensPerSecond?: number | undefined
  faults?: FakeFaults | undefined
}

export type FakeBackendServer = {
  url: string
  close(): Promise<void>
  stats: FakeStats
  setFaults(faults: FakeFaults): void
}

export const defaultFakeReply = 'Hello from the fake backend. The quick brown fox jumps over the lazy dog, twice: once for luck.'

/** How a stream of `count` tokens ends under the given faults, and after how many tokens. */
export function streamEnding(count: number, faults: FakeFaults): { mode: 'normal' | 'drop' | 'error'; limit: number } {
  const dropAt = faults.dropAfter ?? Infinity
  const errAt = faults.midStreamErrorAfter ?? Infinity
  if (dropAt <= errAt && dropAt <= count) return { mode: 'drop', limit: dropAt }
  if (errAt <= count) return { mode: 'error', limit: errAt }
  return { mode: 'normal', limit: count }
}

/** Listens on 127.0.0.1 (port 0); close() stops the pacer and drops open sockets so streams end at once. */
export async function listenFake(server: Server, pacer: { stop(): void }): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        pacer.stop()
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
