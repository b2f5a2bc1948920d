// Test helpers for backend adapters: drain a chat stream, wait for a condition on a fake's stats.
import type { ChatChunk } from '../../../node/backends/types.ts'

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
