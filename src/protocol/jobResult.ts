// Kind 3831: the node's signed end of a job: usage, amount due at its announced price, and the sha256 of the
// whole output, so a client can check that what it streamed is what the node signs for. See nips/job-result.md.
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { z } from 'zod'
import type { Signer } from '../signer.ts'
import { isRejected, nowSeconds, reject, requireSingleTag, validateEvent, type NostrEvent, type ValidateOptions, type ValidationResult } from './event.ts'
import * as kinds from './kinds.ts'
import { decryptJsonContent } from './schema.ts'

const encoder = new TextEncoder()

export function outputHash(text: string): string {
  return bytesToHex(sha256(encoder.encode(text)))
}

export const jobResultContent = z.object({
  v: z.literal(1),
  /** Whole output; included when the job used the relay transport and it fits the event size limit. */
  text: z.string().optional(),
})
export type JobResultContent = z.infer<typeof jobResultContent>

export type JobResult = {
  job: string
  client: string
  node: string
  model: string
  usage: { promptTokens: number; completionTokens: number }
  amount: bigint
  outputHash: string
  finishReason: string
  ttftMs: number
  durationMs: number
  createdAt: number
}

export type BuildJobResultParameters = {
  job: string
  client: string
  model: string
  usage: { promptTokens: number; completionTokens: number }
  amount: bigint
  output: string
  finishReason: string
  ttftMs: number
  durationMs: number
  includeText?: boolean | undefined
  now?: number | undefined
}

/** Largest output carried inside a result event (the rest of the event needs room too). */
export const maxResultTextBytes = 120 * 1024

export async function buildJobResult(signer: Signer, p: BuildJobResultParameters): Promise<NostrEvent> {
  const now = p.now ?? nowSeconds()
  const content: JobResultContent = { v: 1 }
  if (p.includeText && encoder.encode(p.output).length <= maxResultTextBytes) content.text = p.output
  return signer.signEvent({
    kind: kinds.JobResult,
    created_at: now,
    tags: [
      ['e', p.job],
      ['p', p.client],
      ['model', p.model],
      ['usage', String(p.usage.promptTokens), String(p.usage.completionTokens)],
      ['amount', p.amount.toString()],
      ['output', outputHash(p.output)],
      ['finish', p.finishReason],
      ['metrics', String(Math.round(p.ttftMs)), String(Math.round(p.durationMs))],
    ],
    content: await signer.nip44.encrypt(p.client, JSON.stringify(content)),
  })
}

const int = /^\d{1,15}$/

export function parseJobResult(input: unknown, options: ValidateOptions = {}): ValidationResult<JobResult> {
  const base = validateEvent(input, kinds.JobResult, options)
  if (!base.ok) return base
  const ev = base.event
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
  const output = requireSingleTag(ev, 'output', /^[0-9a-f]{64}$/)
  if (isRejected(output)) return output
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
      outputHash: output[1]!,
      finishReason: finish[1]!,
      ttftMs: Number(metrics[1]),
      durationMs: Number(metrics[2]),
      createdAt: ev.created_at,
    },
  }
}

/** The client's side: read the encrypted part of a result addressed to it. */
export async function decryptJobResult(event: NostrEvent, signer: Signer): Promise<ValidationResult<JobResultContent>> {
  const checked = await decryptJsonContent(() => signer.nip44.decrypt(event.pubkey, event.content), jobResultContent, { what: 'result content', schemaName: 'job result' })
  if (!checked.ok) return checked
  return { ok: true, event, data: checked.data }
}
