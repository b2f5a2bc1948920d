// A minimal raw Nostr client over `ws` for tests: it sends arrays (or raw text), keeps every relay message in
// an inbox, and lets a test take the next message that matches a predicate, with a timeout. Messages that do not
// match stay in the inbox for a later `next`, so a reply that arrives before the test starts waiting is not lost.
import type { Event as NostrEvent, Filter } from 'nostr-tools'
import WebSocket from 'ws'
import { BaseError } from '../../src/errors/base.ts'

export type RelayMessage = [string, ...unknown[]]

export type OkResult = { id: string; ok: boolean; message: string }
export type ReqResult = { events: NostrEvent[]; eose: boolean; closed?: string | undefined }

export type NostrClient = {
  url: string
  socket: WebSocket
  /** Messages received and not yet taken by `next`. */
  inbox: RelayMessage[]
  /** Every message received, in order (never trimmed). */
  received: RelayMessage[]
  /** The last `["AUTH", challenge]` the relay sent, if any. */
  challenge: string | undefined
  send(message: unknown): void
  sendRaw(text: string | Buffer): void
  /** Takes the first inbox message matching `predicate`, waiting up to `timeoutMs` for one to arrive. */
  next(predicate?: (message: RelayMessage) => boolean, timeoutMs?: number): Promise<RelayMessage>
  /** Waits `ms`, then resolves true when the inbox holds no matching message (it takes nothing from the inbox). */
  none(predicate: (message: RelayMessage) => boolean, ms: number): Promise<boolean>
  /** EVENT then wait for the OK that names the event id. */
  publish(event: NostrEvent, timeoutMs?: number): Promise<OkResult>
  /** AUTH then wait for the OK that names the auth event id. */
  auth(event: NostrEvent, timeoutMs?: number): Promise<OkResult>
  /** REQ, then collect the subscription's EVENTs until EOSE or CLOSED. The subscription stays open. */
  req(subId: string, filters: Filter[], timeoutMs?: number): Promise<ReqResult>
  /** NIP-45 COUNT; resolves with the count, or with the CLOSED reason when refused. */
  count(subId: string, filters: Filter[], timeoutMs?: number): Promise<{ count?: number | undefined; closed?: string | undefined }>
  /** Resolves with the close code once the socket is closed (by either side). */
  waitClosed(timeoutMs?: number): Promise<number>
  close(): Promise<void>
}

export class NostrClientTimeoutError extends BaseError {
  override name = 'NostrClientTimeoutError'
  override code = 'nostr-client-timeout'
  constructor({ url, waitingFor, timeoutMs, inbox }: { url: string; waitingFor: string; timeoutMs: number; inbox: RelayMessage[] }) {
    super(`No ${waitingFor} from ${url} within ${timeoutMs} ms.`, {
      metaMessages: ['Check that the relay answers this message type and that the predicate matches its reply.'],
      details: `inbox: ${JSON.stringify(inbox.slice(-5)).slice(0, 500)}`,
    })
  }
}

export type ConnectParameters = {
  timeoutMs?: number | undefined
  /** Extra `ws` options (headers, maxPayload). */
  headers?: Record<string, string> | undefined
}

export async function connect(url: string, parameters: ConnectParameters = {}): Promise<NostrClient> {
  const { timeoutMs = 5000, headers } = parameters
  const socket = new WebSocket(url, { headers, maxPayload: 64 * 1024 * 1024 })
  const inbox: RelayMessage[] = []
  const received: RelayMessage[] = []
  const waiters = new Set<() => void>()
  let closeCode: number | undefined
  const wake = () => {
    for (const w of [...waiters]) w()
  }
  const client: NostrClient = {
    url,
    socket,
    inbox,
    received,
    challenge: undefined,
    send(message) {
      socket.send(JSON.stringify(message))
    },
    sendRaw(text) {
      socket.send(text)
    },
    next(predicate = () => true, ms = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const i = inbox.findIndex(predicate)
          if (i >= 0) {
            const [message] = inbox.splice(i, 1)
            done()
            resolve(message as RelayMessage)
            return true
          }
          if (closeCode !== undefined) {
            done()
            reject(new NostrClientTimeoutError({ url, waitingFor: 'matching message (socket closed)', timeoutMs: ms, inbox }))
            return true
          }
          return false
        }
        const timer = setTimeout(() => {
          done()
          reject(new NostrClientTimeoutError({ url, waitingFor: 'matching message', timeoutMs: ms, inbox }))
        }, ms)
        const waiter = () => void check()
        const done = () => {
          clearTimeout(timer)
          waiters.delete(waiter)
        }
        if (!check()) waiters.add(waiter)
      })
    },
    async none(predicate, ms) {
      await new Promise((resolve) => setTimeout(resolve, ms))
      return !inbox.some(predicate)
    },
    async publish(event, ms = 5000) {
      client.send(['EVENT', event])
      const [, id, ok, message] = await client.next((m) => m[0] === 'OK' && m[1] === event.id, ms)
      return { id: id as string, ok: ok as boolean, message: message as string }
    },
    async auth(event, ms = 5000) {
      client.send(['AUTH', event])
      const [, id, ok, message] = await client.next((m) => m[0] === 'OK' && m[1] === event.id, ms)
      return { id: id as string, ok: ok as boolean, message: message as string }
    },
    async req(subId, filters, ms = 5000) {
      client.send(['REQ', subId, ...filters])
      const events: NostrEvent[] = []
      for (;;) {
        const m = await client.next((x) => (x[0] === 'EVENT' || x[0] === 'EOSE' || x[0] === 'CLOSED') && x[1] === subId, ms)
        if (m[0] === 'EVENT') events.push(m[2] as NostrEvent)
        else if (m[0] === 'EOSE') return { events, eose: true }
        else return { events, eose: false, closed: m[2] as string }
      }
    },
    async count(subId, filters, ms = 5000) {
      client.send(['COUNT', subId, ...filters])
      const m = await client.next((x) => (x[0] === 'COUNT' || x[0] === 'CLOSED') && x[1] === subId, ms)
      if (m[0] === 'CLOSED') return { closed: m[2] as string }
      return { count: (m[2] as { count: number }).count }
    },
    waitClosed(ms = 5000) {
      if (closeCode !== undefined) return Promise.resolve(closeCode)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new NostrClientTimeoutError({ url, waitingFor: 'close', timeoutMs: ms, inbox })), ms)
        socket.once('close', (code) => {
          clearTimeout(timer)
          resolve(code)
        })
      })
    },
    async close() {
      if (closeCode !== undefined || socket.readyState === WebSocket.CLOSED) return
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
      socket.close()
      const timer = setTimeout(() => socket.terminate(), 1000)
      await closed
      clearTimeout(timer)
    },
  }
  socket.on('message', (data) => {
    let message: unknown
    try {
      message = JSON.parse(data.toString())
    } catch {
      return
    }
    if (!Array.isArray(message) || typeof message[0] !== 'string') return
    const m = message as RelayMessage
    if (m[0] === 'AUTH' && typeof m[1] === 'string') client.challenge = m[1]
    inbox.push(m)
    received.push(m)
    wake()
  })
  socket.on('close', (code) => {
    closeCode = code
    wake()
  })
  socket.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.terminate()
      reject(new NostrClientTimeoutError({ url, waitingFor: 'WebSocket open', timeoutMs, inbox }))
    }, timeoutMs)
    socket.once('open', () => {
      clearTimeout(timer)
      resolve()
    })
    socket.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })
  return client
}
