// Kind 23830, ephemeral: output tokens through a relay, NIP-44 encrypted to the client, numbered so the client
// can order them and notice gaps. The same ciphertext format is used on the direct channel (frames.ts), where
// chunks are not signed: the NIP-44 MAC under the node-client conversation key already authenticates them.
import type { Signer } from '../signer.ts'
import { isRejected, nowSeconds, requireSingleTag, validateEvent, type NostrEvent, type ValidateOptions, type ValidationResult } from './event.ts'
import * as kinds from './kinds.ts'
import { decrypt, encrypt } from './nip44.ts'

const streamChunkTtlSeconds = 60

export type StreamChunk = { job: string; client: string; node: string; seq: number }

export function encryptDelta(conversationKey: Uint8Array, text: string): string {
  return encrypt(text, conversationKey)
}
export function decryptDelta(conversationKey: Uint8Array, payload: string): string {
  return decrypt(payload, conversationKey)
}

/**
 * Per-chunk decryption of what `peer` streams: synchronous with the signer's conversation-key fast path when it
 * offers one, else through its `nip44.decrypt` (a promise per chunk: the caller keeps chunks in order).
 */
export function deltaDecrypter(signer: Signer, peer: string): (payload: string) => string | Promise<string> {
  const key = signer.conversationKey?.(peer)
  return key ? (payload) => decryptDelta(key, payload) : (payload) => signer.nip44.decrypt(peer, payload)
}

export async function buildStreamChunk(
  signer: Signer,
  { job, client, seq, text, now = nowSeconds() }: { job: string; client: string; seq: number; text: string; now?: number },
): Promise<NostrEvent> {
  return signer.signEvent({
    kind: kinds.StreamChunk,
    created_at: now,
    tags: [['e', job], ['p', client], ['seq', String(seq)], ['expiration', String(now + streamChunkTtlSeconds)]],
    content: await signer.nip44.encrypt(client, text),
  })
}

export function parseStreamChunk(input: unknown, options: ValidateOptions = {}): ValidationResult<StreamChunk> {
  const base = validateEvent(input, kinds.StreamChunk, options)
  if (!base.ok) return base
  const e = requireSingleTag(base.event, 'e', /^[0-9a-f]{64}$/)
  if (isRejected(e)) return e
  const p = requireSingleTag(base.event, 'p', /^[0-9a-f]{64}$/)
  if (isRejected(p)) return p
  const seq = requireSingleTag(base.event, 'seq', /^\d{1,9}$/)
  if (isRejected(seq)) return seq
  return { ok: true, event: base.event, data: { job: e[1]!, client: p[1]!, node: base.event.pubkey, seq: Number(seq[1]) } }
}
