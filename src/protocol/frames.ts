// Frames on the node's direct stream channel. The same JSON objects travel as WebSocket text messages
// (GET /v1/ws) and as SSE events (POST /v1/jobs, `event: <type>` + `data: <json>`). See nips/stream.md.
import { z } from 'zod'
import { jobErrorCodes, jobStatuses } from './jobStatus.ts'
import { hex64 } from './schema.ts'

const event = z.object({ id: z.string(), pubkey: z.string(), created_at: z.number(), kind: z.number(), tags: z.array(z.array(z.string())), content: z.string(), sig: z.string() })

/** Client to node (WebSocket only; SSE carries the job in the POST body and cancels by closing). */
export const clientFrame = z.discriminatedUnion('type', [
  /** Authenticates the connection as the event's author (kind 27235, method WS, no payload tag). */
  z.object({ type: z.literal('auth'), event }),
  /** `auth` may be left out once the connection is authenticated as the job's author. */
  z.object({ type: z.literal('job'), event, auth: event.optional() }),
  z.object({ type: z.literal('cancel'), job: hex64 }),
  z.object({ type: z.literal('receipt'), event }),
])
export type ClientFrame = z.infer<typeof clientFrame>

/** Node to client. */
export const nodeFrame = z.discriminatedUnion('type', [
  /** Answers an `auth` frame the node accepted; a refused one gets an `error` frame without `job`. */
  z.object({ type: z.literal('authenticated'), pubkey: hex64 }),
  /** The node validated the job and took it (running or queued). Clients fail over if this does not come in time. */
  z.object({ type: z.literal('accepted'), job: hex64, queuePosition: z.number().int().nonnegative() }),
  z.object({ type: z.literal('status'), job: hex64, status: z.enum(jobStatuses), code: z.enum(jobErrorCodes).optional(), message: z.string().optional() }),
  /**
   * `c` is a NIP-44 payload of the delta under the node-client conversation key, or, with `enc`, the delta sealed
   * under the job's chunk key (chunkCipher.ts), which the node sends only to a client whose job asked for it.
   */
  z.object({ type: z.literal('chunk'), job: hex64, seq: z.number().int().nonnegative(), c: z.string(), enc: z.literal('chacha20poly1305').optional() }),
  /** The signed result event (kind 3831); the last frame of a successful job. */
  z.object({ type: z.literal('result'), job: hex64, event }),
  /** The job ended without a result. `job` is absent when the frame itself could not be read. */
  z.object({ type: z.literal('error'), job: hex64.optional(), code: z.enum(jobErrorCodes), message: z.string(), retryable: z.boolean().optional() }),
  /** `receipt`: the id of the receipt event it answers (a prepaid receipt has no job to name). Absent from older nodes. */
  z.object({ type: z.literal('receipt-ack'), job: hex64.optional(), receipt: hex64.optional(), accepted: z.boolean(), reason: z.string().optional() }),
])
export type NodeFrame = z.infer<typeof nodeFrame>

export const streamPaths = { sse: '/v1/jobs', ws: '/v1/ws', health: '/healthz' } as const

/** The WebSocket URL for a stream base URL announced in a capability (http -> ws, https -> wss). */
export function wsUrl(streamBase: string): string {
  const u = new URL(streamPaths.ws.slice(1), streamBase.endsWith('/') ? streamBase : streamBase + '/')
  u.protocol = u.protocol === 'https:' || u.protocol === 'wss:' ? 'wss:' : 'ws:'
  return u.toString()
}

export function sseUrl(streamBase: string): string {
  const u = new URL(streamPaths.sse.slice(1), streamBase.endsWith('/') ? streamBase : streamBase + '/')
  u.protocol = u.protocol === 'wss:' ? 'https:' : u.protocol === 'ws:' ? 'http:' : u.protocol
  return u.toString()
}
