// Kind 3834: a client's signed refusal of a node's result: which job, which result event, why, and for usage
// refusals what the node claimed beside the bound the client computed. A client that does not pay publishes one,
// so that coordinators and other clients see the refusal, not only the client that made it. It is the client's
// claim, not a proof: a reader weighs it by who signed it (a key that paid this node before, a funded payer).
// Public: it holds no prompt or output, only counts. See nips/result-rejection.md.
import type { Signer } from '../signer.ts'
import { isRejected, nowSeconds, reject, requireSingleTag, validateEvent, type NostrEvent, type Rejected, type ValidateOptions, type ValidationResult } from './event.ts'
import * as kinds from './kinds.ts'

/** Why a client refused a result (client/verifyResult.ts); stable strings that readers switch on. */
export const rejectionCodes = [
  'bad-event', // the result event failed validation (id, signature, tags)
  'unsupported-version', // the result is of a version the client no longer accepts (v1: public output hash)
  'wrong-node', // signed by another key than the node the job was sent to
  'wrong-job', // names another job
  'wrong-client', // addressed to another client
  'wrong-model', // names another model than the one asked
  'unreadable', // its encrypted content does not decrypt or does not parse
  'output-mismatch', // the output hash is not the hash of what was streamed
  'completion-overcharge', // more completion tokens than the streamed text can take
  'completion-undercount', // far fewer completion tokens than the streamed text needs
  'prompt-overcharge', // more prompt tokens than the messages can take
  'wrong-amount', // the amount is not what the usage costs at the announced price
] as const
export type RejectionCode = (typeof rejectionCodes)[number]

export type TokenCounts = { promptTokens: number; completionTokens: number }

export type ResultRejection = {
  job: string
  node: string
  client: string
  /** The refused result event, when it had a well-formed id. */
  result: string | undefined
  code: RejectionCode
  message: string
  /** Usage as the node claimed it. */
  claimed: TokenCounts | undefined
  /** The most the client would have accepted (usage refusals). */
  bound: TokenCounts | undefined
  createdAt: number
}

export type BuildResultRejectionParameters = {
  job: string
  node: string
  result?: string | undefined
  code: RejectionCode
  message: string
  claimed?: TokenCounts | undefined
  bound?: TokenCounts | undefined
  now?: number | undefined
}

const hex64 = /^[0-9a-f]{64}$/
const int = /^\d{1,15}$/
const maxMessage = 512

const counts = (c: TokenCounts) => [String(c.promptTokens), String(c.completionTokens)]

export async function buildResultRejection(signer: Signer, p: BuildResultRejectionParameters): Promise<NostrEvent> {
  const tags: string[][] = [
    ['e', p.job],
    ['p', p.node],
    ['reason', p.code, p.message.slice(0, maxMessage)],
  ]
  if (p.result !== undefined && hex64.test(p.result)) tags.push(['result', p.result])
  if (p.claimed) tags.push(['usage', ...counts(p.claimed)])
  if (p.bound) tags.push(['bound', ...counts(p.bound)])
  return signer.signEvent({ kind: kinds.ResultRejection, created_at: p.now ?? nowSeconds(), tags, content: '' })
}

function optionalCounts(ev: NostrEvent, name: string): TokenCounts | undefined | Rejected {
  const found = ev.tags.filter((t) => t[0] === name)
  if (found.length === 0) return undefined
  if (found.length > 1) return reject('duplicate-tag', `"${name}" tag appears ${found.length} times, expected at most once`)
  const [, prompt, completion] = found[0]!
  if (!int.test(prompt ?? '') || !int.test(completion ?? '')) return reject('bad-tag', `"${name}" tag needs prompt and completion token counts`)
  return { promptTokens: Number(prompt), completionTokens: Number(completion) }
}

export function parseResultRejection(input: unknown, options: ValidateOptions = {}): ValidationResult<ResultRejection> {
  const base = validateEvent(input, kinds.ResultRejection, options)
  if (!base.ok) return base
  const ev = base.event
  const e = requireSingleTag(ev, 'e', hex64)
  if (isRejected(e)) return e
  const p = requireSingleTag(ev, 'p', hex64)
  if (isRejected(p)) return p
  const reason = requireSingleTag(ev, 'reason')
  if (isRejected(reason)) return reason
  const code = reason[1]!
  if (!(rejectionCodes as readonly string[]).includes(code)) return reject('bad-tag', `unknown rejection code "${code.slice(0, 32)}"`)
  const results = ev.tags.filter((t) => t[0] === 'result')
  if (results.length > 1) return reject('duplicate-tag', `"result" tag appears ${results.length} times, expected at most once`)
  if (results[0] && !hex64.test(results[0][1] ?? '')) return reject('bad-tag', '"result" tag needs the refused result event id')
  const claimed = optionalCounts(ev, 'usage')
  if (isRejected(claimed)) return claimed
  const bound = optionalCounts(ev, 'bound')
  if (isRejected(bound)) return bound
  return {
    ok: true,
    event: ev,
    data: {
      job: e[1]!,
      node: p[1]!,
      client: ev.pubkey,
      result: results[0]?.[1],
      code: code as RejectionCode,
      message: reason[2] ?? '',
      claimed,
      bound,
      createdAt: ev.created_at,
    },
  }
}
