// Kind 3831: the node's signed end of a job: usage, amount due at its announced price, and the sha256 of the
// whole output, so a client can check that what it streamed is what the node signs for. See nips/job-result.md.
// Version 2 keeps the hash inside the content encrypted to the client: v1 published it as a tag, and an unsalted
// sha256 of a short answer lets anyone with the event confirm a guessed output. The node's signature covers the
// ciphertext, so the hash is as much the node's word as a tag was. A v1 result is refused with its own code.
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { z } from 'zod'
import type { Signer } from '../signer.ts'
import { isRejected, nowSeconds, reject, requireSingleTag, validateEvent, type NostrEvent, type ValidateOptions, type ValidationResult } from './event.ts'
import * as kinds from './kinds.ts'
import { decryptJsonContent } from './schema.ts'
import { maxPlaintextSize } from './nip44.ts'
import { canonicalOutput, structuredOutputHash, structuredOutputSchema, toOutputJson, type StructuredOutput } from './streamDelta.ts'

const encoder = new TextEncoder()

export function outputHash(text: string): string {
  return bytesToHex(sha256(encoder.encode(text)))
}

/** The hash a result carries for an output: of the text (v1 job) or of the canonical structured output (v2 job). */
export function resultOutputHash(output: string | StructuredOutput): string {
  return typeof output === 'string' ? outputHash(output) : structuredOutputHash(output)
}

/** The result version this code writes and reads (the `v` tag, and `v` in the content). */
export const jobResultVersion = 2

export const jobResultContent = z.object({
  v: z.literal(jobResultVersion),
  /**
   * sha256 (hex) of the output. A v1 job: its UTF-8 text, every delta concatenated. A v2 job: its canonical
   * structured output (streamDelta.ts `canonicalOutput`: text, reasoning and the assembled tool calls).
   */
  output: z.string().regex(/^[0-9a-f]{64}$/),
  /** Whole output of a v1 job; included when the job used the relay transport and it fits the event size limit. */
  text: z.string().optional(),
  /**
   * `structured` exactly when the job was a v2 job: the hash covers the structured output, not bare text.
   * `embeddings` exactly when it was an embeddings job (v3): the hash covers its output text, one base64 float32
   * vector per line (src/protocol/embeddingJob.ts), which `text` then holds for the relay transport.
   */
  shape: z.enum(['structured', 'embeddings']).optional(),
  /** Whole output of a v2 job, as `text` is for v1 (relay transport, when it fits). */
  structured: structuredOutputSchema.optional(),
  /**
   * What the usage tag's counts hold, where the engine says it or the node counted it: reasoning tokens (of the
   * completion tokens) and prompt tokens served from the engine's cache (of the prompt tokens). Informational: the
   * amount is the tag's counts at the node's price. In the encrypted content, as the output is: the client's business.
   */
  details: z
    .object({
      reasoningTokens: z.number().int().nonnegative().optional(),
      cachedPromptTokens: z.number().int().nonnegative().optional(),
    })
    .optional(),
})
export type JobResultContent = z.infer<typeof jobResultContent>

export type JobResult = {
  job: string
  client: string
  node: string
  model: string
  usage: { promptTokens: number; completionTokens: number }
  amount: bigint
  finishReason: string
  ttftMs: number
  durationMs: number
  createdAt: number
}

/**
 * Token counts with the details a result may carry (`details` in the content): `reasoningTokens` of the completion
 * tokens, `cachedPromptTokens` of the prompt tokens. The one shape the node's adapters, the SDK and the gateway share.
 */
export type ResultUsage = { promptTokens: number; completionTokens: number; reasoningTokens?: number | undefined; cachedPromptTokens?: number | undefined }

export type BuildJobResultParameters = {
  job: string
  client: string
  model: string
  usage: ResultUsage
  amount: bigint
  /** The text of a v1 job, or the assembled output of a v2 job. */
  output: string | StructuredOutput
  finishReason: string
  ttftMs: number
  durationMs: number
  includeText?: boolean | undefined
  /** An embeddings job: `output` is its vectors' text (embeddingJob.ts), and the content says so. */
  embeddings?: boolean | undefined
  now?: number | undefined
}

/** Largest output carried inside a result event (the rest of the event needs room too). */
export const maxResultTextBytes = 120 * 1024

export async function buildJobResult(signer: Signer, p: BuildJobResultParameters): Promise<NostrEvent> {
  const now = p.now ?? nowSeconds()
  const content: JobResultContent = { v: jobResultVersion, output: resultOutputHash(p.output) }
  const details = usageDetails(p.usage)
  if (details) content.details = details
  if (typeof p.output === 'string') {
    if (p.embeddings) content.shape = 'embeddings'
    if (p.includeText && encoder.encode(p.output).length <= maxResultTextBytes) content.text = p.output
  } else {
    content.shape = 'structured'
    if (p.includeText && encoder.encode(canonicalOutput(p.output)).length <= maxResultTextBytes) content.structured = toOutputJson(p.output)
  }
  // The content is one NIP-44 payload: an output too long for it stays on the chunks (an embeddings job's often is).
  if (encoder.encode(JSON.stringify(content)).length > maxPlaintextSize) {
    delete content.text
    delete content.structured
  }
  return signer.signEvent({
    kind: kinds.JobResult,
    created_at: now,
    tags: [
      ['v', String(jobResultVersion)],
      ['e', p.job],
      ['p', p.client],
      ['model', p.model],
      ['usage', String(p.usage.promptTokens), String(p.usage.completionTokens)],
      ['amount', p.amount.toString()],
      ['finish', p.finishReason],
      ['metrics', String(Math.round(p.ttftMs)), String(Math.round(p.durationMs))],
    ],
    content: await signer.nip44.encrypt(p.client, JSON.stringify(content)),
  })
}

const int = /^\d{1,15}$/

/** The details worth saying (each within the count it is part of), or undefined when there are none. */
export function usageDetails(usage: ResultUsage): JobResultContent['details'] {
  const out: NonNullable<JobResultContent['details']> = {}
  if (usage.reasoningTokens !== undefined && usage.reasoningTokens <= usage.completionTokens) out.reasoningTokens = usage.reasoningTokens
  if (usage.cachedPromptTokens !== undefined && usage.cachedPromptTokens <= usage.promptTokens) out.cachedPromptTokens = usage.cachedPromptTokens
  return Object.keys(out).length ? out : undefined
}

export function parseJobResult(input: unknown, options: ValidateOptions = {}): ValidationResult<JobResult> {
  const base = validateEvent(input, kinds.JobResult, options)
  if (!base.ok) return base
  const ev = base.event
  if (ev.tags.some((t) => t[0] === 'output')) {
    return reject(
      'unsupported-version',
      'result v1 refused: its public "output" tag is an unsalted sha256 that lets anyone confirm a guessed output; the node must upgrade to result v2, which keeps the hash in the encrypted content (nips/job-result.md)',
    )
  }
  const v = ev.tags.find((t) => t[0] === 'v')?.[1]
  if (v !== String(jobResultVersion)) {
    return reject('unsupported-version', `result version ${v === undefined ? 'missing' : JSON.stringify(v.slice(0, 16))}: this party reads result v${jobResultVersion} (nips/job-result.md)`)
  }
  const e = requireSingleTag(ev, 'e', /^[0-9a-f]{64}$/)
  if (isRejected(e)) return e
  const p = requireSingleTag(ev, 'p', /^[0-9a-f]{64}$/)
  if (isRejected(p)) return p
  const model = requireSingleTag(ev, 'model')
  if (isRejected(model)) return model
  const usage = requireSingleTag(ev, 'usage', int)
  if (isRejected(usage)) return usage
  if (!int.test(usage[2] ?? '')) return reject('bad-tag', '"usage" tag needs prompt and completion token counts')
  const amount = requireSingleTag(ev, 'amount', /^\d{1,78}$/)
  if (isRejected(amount)) return amount
  const finish = requireSingleTag(ev, 'finish')
  if (isRejected(finish)) return finish
  const metrics = requireSingleTag(ev, 'metrics', int)
  if (isRejected(metrics)) return metrics
  if (!int.test(metrics[2] ?? '')) return reject('bad-tag', '"metrics" tag needs ttft and duration in ms')
  return {
    ok: true,
    event: ev,
    data: {
      job: e[1]!,
      client: p[1]!,
      node: ev.pubkey,
      model: model[1]!,
      usage: { promptTokens: Number(usage[1]), completionTokens: Number(usage[2]) },
      amount: BigInt(amount[1]!),
      finishReason: finish[1]!,
      ttftMs: Number(metrics[1]),
      durationMs: Number(metrics[2]),
      createdAt: ev.created_at,
    },
  }
}

/** The client's side: read the encrypted part of a result addressed to it (the output hash, and the text if sent). */
export async function decryptJobResult(event: NostrEvent, signer: Signer): Promise<ValidationResult<JobResultContent>> {
  const checked = await decryptJsonContent(() => signer.nip44.decrypt(event.pubkey, event.content), jobResultContent, { what: 'result content', schemaName: 'job result' })
  if (!checked.ok) return checked
  return { ok: true, event, data: checked.data }
}
