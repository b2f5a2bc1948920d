// Test-side client for the node's direct channel and relay transport: builds signed job requests and auth
// events, and collects frames from WS or SSE. Deliberately written from the protocol, not from node code.
import WebSocket from 'ws'
import { buildAuthEvent, encodeAuthHeader } from '../../src/protocol/auth.ts'
import type { NostrEvent } from '../../src/protocol/event.ts'
import { sseUrl, wsUrl, type NodeFrame } from '../../src/protocol/frames.ts'
import { buildJobRequest, type ChatJobPayload as JobPayload } from '../../src/protocol/jobRequest.ts'
import { chunkKey, openChunk } from '../../src/protocol/chunkCipher.ts'
import { decryptDelta } from '../../src/protocol/streamChunk.ts'
import type { Signer } from '../../src/signer.ts'

export function payload(overrides: Partial<JobPayload> = {}): JobPayload {
  return {
    v: 1,
    model: 'llama3',
    messages: [{ role: 'user', content: 'Say hello' }],
    params: {},
    bid: { input: '1000', output: '2000' },
    transport: 'direct',
    ...overrides,
  } as JobPayload
}

export async function jobEvent(client: Signer, node: string, overrides: Partial<JobPayload> = {}, opts: { now?: number; ttl?: number } = {}): Promise<NostrEvent> {
  return buildJobRequest(client, { node, payload: payload(overrides), ...opts })
}

export type WsClient = {
  ws: WebSocket
  frames: NodeFrame[]
  send(frame: unknown): void
  /** Sends a job frame with a fresh auth event (or the given one; `null` sends none). */
  submit(event: NostrEvent, auth?: NostrEvent | null): Promise<NostrEvent | null>
  /** Sends a connection auth frame (a fresh one for `signer`, or the given event) and waits for the node's answer. */
  authenticate(event?: NostrEvent, signer?: Signer): Promise<NodeFrame>
  /** Waits for the frame that ends `job` (result or error). */
  end(job: string, timeoutMs?: number): Promise<NodeFrame>
  waitFor(pred: (f: NodeFrame) => boolean, timeoutMs?: number): Promise<NodeFrame>
  close(): Promise<void>
}

export async function connectWs(streamBase: string, client: Signer): Promise<WsClient> {
  const url = wsUrl(streamBase)
  const ws = new WebSocket(url)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  const frames: NodeFrame[] = []
  // Each waiter looks at frames as they arrive (and once at what came before), so waiting stays O(frames).
  const waiters = new Set<(f: NodeFrame) => void>()
  ws.on('message', (d) => {
    const frame = JSON.parse(String(d)) as NodeFrame
    frames.push(frame)
    for (const w of waiters) w(frame)
  })
  const waitFor = (pred: (f: NodeFrame) => boolean, timeoutMs = 10_000) =>
    new Promise<NodeFrame>((resolve, reject) => {
      const check = (f: NodeFrame | undefined) => {
        if (f && pred(f)) {
          waiters.delete(check)
          clearTimeout(timer)
          resolve(f)
        }
      }
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames.map((f) => f.type))}`))
      }, timeoutMs)
      waiters.add(check)
      check(frames.find(pred))
    })
  return {
    ws,
    frames,
    send: (frame) => ws.send(JSON.stringify(frame)),
    async submit(event, auth) {
      if (auth === null) {
        ws.send(JSON.stringify({ type: 'job', event }))
        return null
      }
      const a = auth ?? (await buildAuthEvent(client, { url, method: 'WS', payloadHash: event.id }))
      ws.send(JSON.stringify({ type: 'job', event, auth: a }))
      return a
    },
    async authenticate(event, signer = client) {
      const a = event ?? (await buildAuthEvent(signer, { url, method: 'WS', connection: true }))
      const seen = frames.length
      ws.send(JSON.stringify({ type: 'auth', event: a }))
      return waitFor((f) => (f.type === 'authenticated' || (f.type === 'error' && f.job === undefined)) && frames.indexOf(f) >= seen)
    },
    end: (job, timeoutMs) => waitFor((f) => (f.type === 'result' || f.type === 'error') && f.job === job, timeoutMs),
    waitFor,
    close: () =>
      new Promise<void>((resolve) => {
        if (ws.readyState === ws.CLOSED) return resolve()
        ws.once('close', () => resolve())
        ws.close()
      }),
  }
}

/** POST /v1/jobs and parse the SSE response into frames (until the server ends it). */
export async function postSse(
  streamBase: string,
  client: Signer,
  event: NostrEvent,
  opts: { signal?: AbortSignal; authHeader?: string; onFrame?: (f: NodeFrame) => void } = {},
): Promise<{ status: number; frames: NodeFrame[]; body?: unknown }> {
  const url = sseUrl(streamBase)
  const body = JSON.stringify(event)
  const authHeader = opts.authHeader ?? encodeAuthHeader(await buildAuthEvent(client, { url, method: 'POST', body }))
  const res = await fetch(url, { method: 'POST', body, headers: { authorization: authHeader, 'content-type': 'application/json' }, ...(opts.signal ? { signal: opts.signal } : {}) })
  if (!res.headers.get('content-type')?.startsWith('text/event-stream')) return { status: res.status, frames: [], body: await res.json() }
  const frames: NodeFrame[] = []
  const decoder = new TextDecoder()
  let buf = ''
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true })
      let i
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i)
        buf = buf.slice(i + 2)
        const data = block.split('\n').find((l) => l.startsWith('data: '))
        if (data) {
          const f = JSON.parse(data.slice(6)) as NodeFrame
          frames.push(f)
          opts.onFrame?.(f)
        }
      }
    }
  } catch (err) {
    if (!opts.signal?.aborted) throw err
  }
  return { status: res.status, frames }
}

/** Concatenates the decrypted chunk frames of one job, in seq order (NIP-44, or sealed under the job key). */
export function streamedText(frames: NodeFrame[], job: string, conversationKey: Uint8Array): string {
  return frames
    .filter((f): f is Extract<NodeFrame, { type: 'chunk' }> => f.type === 'chunk' && f.job === job)
    .sort((a, b) => a.seq - b.seq)
    .map((f) => (f.enc ? openChunk(chunkKey(conversationKey, job), f.c) : decryptDelta(conversationKey, f.c)))
    .join('')
}
