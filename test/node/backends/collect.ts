// Test helpers for backend adapters: drain a chat stream, wait for a condition on a fake's stats, expect a
// BackendError with a given reason.
import assert from 'node:assert/strict'
import { BackendError } from '../../../node/errors/backend.ts'
import type { ChatChunk } from '../../../node/backends/types.ts'
import { defaultFakeReply } from '../../helpers/fakeBackends/pacer.ts'

/** Tokens in the fakes' default reply (how they split it: each word with its leading space). */
export const replyTokens = defaultFakeReply.match(/\s*\S+/g)?.length ?? 0

export async function rejectsWith(p: Promise<unknown>, reason: string): Promise<BackendError> {
  try {
    await p
  } catch (err) {
    assert.ok(err instanceof BackendError, `expected BackendError, got ${String(err)}`)
    assert.equal(err.reason, reason, err.message)
    return err
  }
  assert.fail(`expected a BackendError ${reason}`)
}

export async function collect(stream: AsyncIterable<ChatChunk>): Promise<{ chunks: ChatChunk[]; text: string; done: Extract<ChatChunk, { type: 'done' }> }> {
  const chunks: ChatChunk[] = []
  for await (const c of stream) chunks.push(c)
  const last = chunks.at(-1)
  if (last?.type !== 'done') throw new Error('stream did not end with a done chunk')
  if (chunks.slice(0, -1).some((c) => c.type === 'done')) throw new Error('done chunk is not last')
  return { chunks, text: chunks.map((c) => (c.type === 'delta' ? c.text : '')).join(''), done: last }
}

export async function waitFor(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const start = Date.now()
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}
