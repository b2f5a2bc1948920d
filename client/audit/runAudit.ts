// An audit of one node and one model (nips/audit-verdict.md, "How an audit runs"): each audit job is an ordinary job
// sent from a key made for it alone, with greedy parameters and the auditor's seed; the same messages go to the
// reference; the outputs are scored with the audit's method (greedy-logprob where the node's model announces logprobs,
// greedy-prefix otherwise), and the verdict names the jobs. The two runners are injected
// (the SDK with a fresh signer per job for the node; a node or an engine's OpenAI endpoint for the reference), so the
// audit runs the same code in the CLI, in a coordinator and in tests.
import { greedyLogprobParams, greedyLogprobScore, greedyPrefixParams, greedyPrefixScore, greedyPrefixThreshold, type AuditMethod, type AuditToken } from '../../src/protocol/auditMethod.ts'
import { maxAuditedJobs, type AuditReference, type BuildAuditVerdictParameters } from '../../src/protocol/auditVerdict.ts'
import type { GenerationParams } from '../../src/protocol/generationParams.ts'
import type { ChatMessage } from '../../src/protocol/jobRequest.ts'

export type AuditJob = { messages: ChatMessage[] }

/**
 * Refusals that say nothing of the model: the job was not paid for, the node was full, the bid too low, the request
 * expired before it started, or the auditor cancelled. An audit job refused so is no sample; the audit is not run
 * (runAudit throws) rather than failed, or a priced node would fail audits it was never paid for. A runner says so
 * by throwing an error with `refused` set to the node's code.
 */
export const senderRefusals = ['payment', 'busy', 'bid-too-low', 'expired', 'cancelled'] as const

/** Runs one job; `job` is its request id (the verdict names it), absent for a reference engine. */
/**
 * `tokens`: the output's tokens with their logprobs, when the job asked for them (greedy-logprob);
 * `completionTokens`: the usage the side reported (the node's claim; the reference engine's own tokenizer count).
 */
export type AuditRunner = (job: { model: string; messages: ChatMessage[]; params: GenerationParams }) => Promise<{ job?: string | undefined; text: string; tokens?: AuditToken[] | undefined; completionTokens?: number | undefined }>

export type RunAuditParameters = {
  node: string
  model: string
  /** The digest the node announces for the model: the claim under test. */
  digest: string | undefined
  jobs: AuditJob[]
  maxTokens: number
  /** The first job's seed; job i uses seed + i. */
  seed: number
  /** Default greedy-prefix; greedy-logprob needs a node and a reference that report logprobs. */
  method?: AuditMethod | undefined
  threshold?: number | undefined
  onNode: AuditRunner
  onReference: AuditRunner
  reference: AuditReference
}

/** `overclaimed`: the node billed more completion tokens than the reference counts for the same output. */
export type AuditJobOutcome = { job: string; score: number; samples: number; overclaimed?: { claimed: number; counted: number } | undefined }

export type RunAuditReturnType = { verdict: BuildAuditVerdictParameters; jobs: AuditJobOutcome[] }

/**
 * The verdict's score is the mean of the jobs' scores, its samples their sum. Jobs run one after another, as a
 * client's would; a job that fails on the node counts as a complete mismatch (score 1): a node that cannot answer an
 * audit does not pass it. A job the node refuses for the sender's reasons (`senderRefusals`) ends the audit unrun.
 */
export async function runAudit(p: RunAuditParameters): Promise<RunAuditReturnType> {
  if (p.jobs.length === 0 || p.jobs.length > maxAuditedJobs) throw new RangeError(`an audit runs 1 to ${maxAuditedJobs} jobs, got ${p.jobs.length}`)
  const method = p.method ?? 'greedy-prefix'
  const outcomes: AuditJobOutcome[] = []
  for (const [i, { messages }] of p.jobs.entries()) {
    const params = (method === 'greedy-logprob' ? greedyLogprobParams : greedyPrefixParams)({ seed: p.seed + i, maxTokens: p.maxTokens })
    const reference = await p.onReference({ model: p.model, messages, params })
    const audited = await p.onNode({ model: p.model, messages, params }).catch((err: unknown) => ({ job: (err as { job?: string }).job, text: undefined, error: err as Error }))
    const refused = 'error' in audited ? (audited.error as { refused?: string }).refused : undefined
    if (refused) throw new Error(`audit job ${i + 1} was refused by the node (${refused}): nothing was compared, so no verdict`)
    if (!audited.job) {
      const why = 'error' in audited ? `: ${audited.error.message.split('\n')[0]}` : ''
      throw new Error(`audit job ${i + 1} never reached the node, so no verdict can name it${why}`)
    }
    const scored =
      audited.text === undefined
        ? { score: 1, samples: method === 'greedy-logprob' ? (reference.tokens?.length ?? 0) : Array.from(reference.text).length }
        : method === 'greedy-logprob'
          ? greedyLogprobScore({ text: audited.text, tokens: audited.tokens }, reference.tokens ?? [])
          : greedyPrefixScore(audited.text, reference.text)
    // Usage honesty: on the same output the reference's tokenizer says how many tokens it is; a node claiming more
    // bills for tokens it never produced, and the job scores a complete mismatch.
    const claimed = 'completionTokens' in audited ? audited.completionTokens : undefined
    if (audited.text === reference.text && claimed !== undefined && reference.completionTokens !== undefined && claimed > reference.completionTokens) {
      outcomes.push({ job: audited.job, score: 1, samples: scored.samples, overclaimed: { claimed, counted: reference.completionTokens } })
      continue
    }
    outcomes.push({ job: audited.job, ...scored })
  }
  const score = outcomes.reduce((s, o) => s + o.score, 0) / outcomes.length
  return {
    jobs: outcomes,
    verdict: {
      node: p.node,
      model: p.model,
      digest: p.digest,
      jobs: outcomes.map((o) => o.job),
      method,
      score,
      threshold: p.threshold ?? greedyPrefixThreshold,
      samples: outcomes.reduce((s, o) => s + o.samples, 0),
      reference: p.reference,
    },
  }
}
