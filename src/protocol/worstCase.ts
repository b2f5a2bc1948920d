// The most a job can cost before it runs: the usage a client would still accept for it (nips/client.md: prompt
// tokens at most the prompt's JSON bytes + 512 of chat-template overhead; completion tokens at most max_tokens) at the
// node's price. A priced node counts every job in flight at this amount against the payer's credit (nips/cpr.md,
// "Credit"), so concurrent jobs cannot run past the limit before their results are priced. Pure.
import { utf8Length } from './event.ts'
import type { ChatMessage } from './jobRequest.ts'
import { amountDue } from './price.ts'
import type { Price } from './schema.ts'

/** Prompt tokens a result may claim beyond one per byte of the messages' JSON (chat template, special tokens). */
export const promptTokenAllowance = 512

/**
 * max_tokens a priced node gives a job that names none (its INFERNET_MAX_OUTPUT_TOKENS default), so the job has a
 * worst case; a client that pays ahead for such a job names this many and pays for them.
 */
export const defaultMaxOutputTokens = 4096

/** Bytes of the messages as the client measures its prompt (UTF-8 of their JSON). */
export function messagesBytes(messages: readonly ChatMessage[]): number {
  return utf8Length(JSON.stringify(messages))
}

/** The largest usage a client accepts for a prompt of `promptBytes` with `maxTokens` of output. */
export function worstCaseUsage({ promptBytes, maxTokens }: { promptBytes: number; maxTokens: number }): { promptTokens: number; completionTokens: number } {
  return { promptTokens: promptBytes + promptTokenAllowance, completionTokens: maxTokens }
}

/** amountDue of the worst-case usage: what the job may cost at most. */
export function worstCaseAmount(job: { messages: readonly ChatMessage[]; maxTokens: number }, price: Price): bigint {
  return amountDue(worstCaseUsage({ promptBytes: messagesBytes(job.messages), maxTokens: job.maxTokens }), price)
}
