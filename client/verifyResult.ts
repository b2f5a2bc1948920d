// Checks a node's signed result (kind 3831) against what the client asked and what it streamed. Pure.
// A result passes when: the event is valid and signed by the node the job was sent to; it names this job,
// this client and the model asked; its output hash is the sha256 of the text streamed for this job; the
// usage is plausible for that text (completion tokens <= bytes + 16, and bytes <= 64 * (completion tokens + 4);
// prompt tokens <= prompt bytes + 512 for chat-template overhead); and the amount equals
// amountDue(usage, the price the node announced for the model). See nips/client.md.
import type { NostrEvent } from '../src/protocol/event.ts'
import { utf8Length } from '../src/protocol/event.ts'
import { outputHash, parseJobResult, type JobResult } from '../src/protocol/jobResult.ts'
import { amountDue } from '../src/protocol/price.ts'
import type { Price } from '../src/protocol/schema.ts'
import type { EventVerifier } from '../src/protocol/verify.ts'

export type VerifyResultParameters = {
  event: unknown
  node: string
  job: string
  client: string
  model: string
  /** Text streamed for this job (this node's output only, without a resumed prefix). */
  text: string
  price: Price
  promptBytes: number
  now?: number | undefined
  /** The client's verifier (it may already have checked this event as it arrived). */
  verifier?: EventVerifier | undefined
}

export type VerifyResultReturnType = { ok: true; result: JobResult; event: NostrEvent } | { ok: false; reason: string }

export function verifyResult(p: VerifyResultParameters): VerifyResultReturnType {
  const parsed = parseJobResult(p.event, { now: p.now, verify: p.verifier })
  if (!parsed.ok) return { ok: false, reason: `result event rejected (${parsed.reason})` }
  const r = parsed.data
  if (r.node !== p.node) return { ok: false, reason: 'result is signed by another key than the node asked' }
  if (r.job !== p.job) return { ok: false, reason: 'result names another job' }
  if (r.client !== p.client) return { ok: false, reason: 'result is addressed to another client' }
  if (r.model !== p.model) return { ok: false, reason: `result names model "${r.model}", asked "${p.model}"` }
  if (r.outputHash !== outputHash(p.text)) return { ok: false, reason: 'output hash does not match the streamed text' }
  const bytes = utf8Length(p.text)
  const { promptTokens, completionTokens } = r.usage
  if (completionTokens > bytes + 16 || bytes > 64 * (completionTokens + 4)) {
    return { ok: false, reason: `usage claims ${completionTokens} completion tokens for ${bytes} bytes of output` }
  }
  if (promptTokens > p.promptBytes + 512) return { ok: false, reason: `usage claims ${promptTokens} prompt tokens for ${p.promptBytes} bytes of prompt` }
  const due = amountDue(r.usage, p.price)
  if (r.amount !== due) return { ok: false, reason: `amount ${r.amount} differs from ${due} due at the announced price` }
  return { ok: true, result: r, event: parsed.event }
}
