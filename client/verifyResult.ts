// Checks a node's signed result (kind 3831, v2) against what the client asked and what it streamed. Pure.
// A result passes when: the event is a valid result v2 signed by the node the job was sent to; it names this job,
// this client and the model asked; its encrypted content decrypts and carries the sha256 of the text streamed for
// this job; the usage is within the bounds of src/protocol/usageBounds.ts for that model, those messages and that
// text (and output bytes <= 64 * (completion tokens + 4), so a node cannot hide its speed behind a low count); and
// the amount equals amountDue(usage, the price the node announced for the model). A refusal carries a code that
// the client publishes in its signed rejection (src/protocol/resultRejection.ts). See nips/client.md.
import type { NostrEvent, ValidationResult } from '../src/protocol/event.ts'
import { utf8Length } from '../src/protocol/event.ts'
import type { GenerationParams } from '../src/protocol/generationParams.ts'
import type { ChatMessage } from '../src/protocol/jobRequest.ts'
import { parseJobResult, resultOutputHash, type JobResult, type JobResultContent } from '../src/protocol/jobResult.ts'
import { canonicalOutput, type StructuredOutput } from '../src/protocol/streamDelta.ts'
import { amountDue } from '../src/protocol/price.ts'
import { decodeEmbeddings, maxEmbeddingPromptTokens } from '../src/protocol/embeddingJob.ts'
import type { RejectionCode } from '../src/protocol/resultRejection.ts'
import type { Price } from '../src/protocol/schema.ts'
import { maxCompletionTokens, maxPromptTokens } from '../src/protocol/usageBounds.ts'
import type { EventVerifier } from '../src/protocol/verify.ts'

export type VerifyResultParameters = {
  event: unknown
  /** The result's encrypted content as the client decrypted it (decryptJobResult). */
  content: ValidationResult<JobResultContent>
  node: string
  job: string
  client: string
  model: string
  /** Text streamed for this job (this node's output only, without a resumed prefix). */
  text: string
  /** A v2 job: its assembled structured output, which the hash and the usage bounds then cover. */
  output?: StructuredOutput | undefined
  /**
   * An embeddings job (v3): its texts and the length asked. The hash covers the streamed text, which must decode to
   * one vector per text; the usage is prompt tokens only, bounded per text (src/protocol/embeddingJob.ts).
   */
  embeddings?: { input: readonly string[]; dimensions?: number | undefined } | undefined
  price: Price
  /** The messages this job sent (with the resumed prefix as the last assistant message, if any). */
  messages: readonly ChatMessage[]
  /** The job's generation parameters (stop sequences, and fields a template renders into the prompt). */
  params?: GenerationParams | undefined
  now?: number | undefined
  /** The client's verifier (it may already have checked this event as it arrived). */
  verifier?: EventVerifier | undefined
}

export type UsageBound = { promptTokens: number; completionTokens: number }

export type VerifyResultReturnType =
  | { ok: true; result: JobResult; event: NostrEvent }
  | { ok: false; code: RejectionCode; reason: string; result?: JobResult | undefined; bound?: UsageBound | undefined }

/** Bytes of the canonical form of an empty output: what a structured output's byte count leaves out. */
const emptyCanonicalBytes = utf8Length(canonicalOutput({ text: '', reasoning: '', toolCalls: [] }))

export function verifyResult(p: VerifyResultParameters): VerifyResultReturnType {
  const parsed = parseJobResult(p.event, { now: p.now, verify: p.verifier })
  if (!parsed.ok) return { ok: false, code: parsed.code === 'unsupported-version' ? 'unsupported-version' : 'bad-event', reason: `result event rejected (${parsed.reason})` }
  const r = parsed.data
  const refuse = (code: RejectionCode, reason: string, bound?: UsageBound): VerifyResultReturnType => ({ ok: false, code, reason, result: r, bound })
  if (r.node !== p.node) return refuse('wrong-node', 'result is signed by another key than the node asked')
  if (r.job !== p.job) return refuse('wrong-job', 'result names another job')
  if (r.client !== p.client) return refuse('wrong-client', 'result is addressed to another client')
  if (r.model !== p.model) return refuse('wrong-model', `result names model "${r.model}", asked "${p.model}"`)
  if (!p.content.ok) return refuse('unreadable', `result content cannot be read (${p.content.reason})`)
  if (p.embeddings || p.content.data.shape === 'embeddings') return verifyEmbeddings(p, r, parsed.event, refuse)
  // The hash covers what the job's version streams: text (v1), or the structured output (v2), which says so.
  const structured = p.content.data.shape === 'structured'
  if (structured !== (p.output !== undefined)) {
    return refuse('unreadable', structured ? 'result is for a version 2 job, this job was version 1' : 'result is for a version 1 job, this job was version 2')
  }
  const output = p.output ?? p.text
  if (p.content.data.output !== resultOutputHash(output)) return refuse('output-mismatch', p.output ? 'output hash does not match the streamed output (text, reasoning and tool calls)' : 'output hash does not match the streamed text')
  const bytes = p.output ? utf8Length(canonicalOutput(p.output)) - emptyCanonicalBytes : utf8Length(p.text)
  const { promptTokens, completionTokens } = r.usage
  const bound = {
    promptTokens: maxPromptTokens({ model: p.model, messages: p.messages, params: p.params }),
    completionTokens: maxCompletionTokens({ model: p.model, output, stop: p.params?.stop, structured: asksResponseFormat(p.params) }),
  }
  if (completionTokens > bound.completionTokens) {
    return refuse('completion-overcharge', `usage claims ${completionTokens} completion tokens for ${bytes} bytes of output (at most ${bound.completionTokens} for ${p.model})`, bound)
  }
  if (bytes > 64 * (completionTokens + 4)) return refuse('completion-undercount', `usage claims ${completionTokens} completion tokens for ${bytes} bytes of output`, bound)
  if (promptTokens > bound.promptTokens) {
    return refuse('prompt-overcharge', `usage claims ${promptTokens} prompt tokens for a prompt of at most ${bound.promptTokens} tokens for ${p.model}`, bound)
  }
  const due = amountDue(r.usage, p.price)
  if (r.amount !== due) return refuse('wrong-amount', `amount ${r.amount} differs from ${due} due at the announced price`)
  return { ok: true, result: r, event: parsed.event }
}

/** The rest of the checks for an embeddings job, or for a result that says it is one (the header checks passed). */
function verifyEmbeddings(p: VerifyResultParameters, r: JobResult, event: NostrEvent, refuse: (code: RejectionCode, reason: string, bound?: UsageBound) => VerifyResultReturnType): VerifyResultReturnType {
  const content = p.content as Extract<VerifyResultParameters['content'], { ok: true }>
  if (!p.embeddings) return refuse('unreadable', 'result is for an embeddings job, this job was a chat')
  if (content.data.shape !== 'embeddings') return refuse('unreadable', 'result is for a chat job, this job was an embeddings job')
  if (content.data.output !== resultOutputHash(p.text)) return refuse('output-mismatch', 'output hash does not match the streamed embeddings')
  const decoded = decodeEmbeddings(p.text, { count: p.embeddings.input.length, dimensions: p.embeddings.dimensions })
  if (!decoded.ok) return refuse('output-mismatch', `the signed embeddings do not answer the job: ${decoded.reason}`)
  const bound = { promptTokens: maxEmbeddingPromptTokens({ model: p.model, input: p.embeddings.input }), completionTokens: 0 }
  if (r.usage.completionTokens > 0) return refuse('completion-overcharge', `usage claims ${r.usage.completionTokens} completion tokens for an embeddings job (none are generated)`, bound)
  if (r.usage.promptTokens > bound.promptTokens) {
    return refuse('prompt-overcharge', `usage claims ${r.usage.promptTokens} prompt tokens for ${p.embeddings.input.length} texts of at most ${bound.promptTokens} tokens for ${p.model}`, bound)
  }
  const due = amountDue(r.usage, p.price)
  if (r.amount !== due) return refuse('wrong-amount', `amount ${r.amount} differs from ${due} due at the announced price`)
  return { ok: true, result: r, event }
}

/** Whether the job asked for a JSON response format (the grammar's whitespace and fences are output too). */
function asksResponseFormat(params: { response_format?: unknown } | undefined): boolean {
  const type = (params?.response_format as { type?: unknown } | undefined)?.type
  return type === 'json_schema' || type === 'json_object'
}
