// How an audit scores a node's output against a reference (nips/audit-verdict.md, "Methods"), so that anyone holding
// the two outputs recomputes the verdict's score. Pure.
//
// greedy-prefix: the audit job asks for greedy decoding (temperature 0) with a seed the auditor chooses and a fixed
// max_tokens; the reference runs the same messages and parameters on the same weights. Greedy decoding on the same
// weights repeats itself (llama.cpp repeats exactly run to run; batching on GPUs can flip a near-tie late in a long
// output), while other weights, a quantized copy or a changed temperature part from the reference within the first
// tokens. The statistic is the share of the longer output that lies beyond the common prefix, counted in Unicode code
// points (no tokenizer needed, so a reader without the model recomputes it): 0 when the outputs are equal, 1 when
// they differ from the first character. A late divergence from nondeterminism scores low; the threshold leaves room
// for it.
//
// greedy-logprob: the same greedy job, asking the engine for each chosen token's log-probability as well. Weights
// that agree on the argmax can still disagree on the probabilities (an 8-bit copy of the weights keeps the greedy
// text of a small model but moves its logprobs by 0.05 nats and more), while the same weights on the same engine give
// the same numbers (llama.cpp's CPU build: equal to 4 decimals across thread and slot counts). The statistic, in
// tokens: the larger of the share of the longer token sequence beyond the common prefix, and the largest logprob gap
// over that prefix divided by `logprobGapScale` (capped at 1). So at the shared threshold 0.25 a node fails when the
// outputs part before three quarters of the way, or when one shared token's logprob is more than 0.02 nats off.
import type { TokenLogprob } from './streamDelta.ts'

export const auditMethods = ['greedy-prefix', 'greedy-logprob'] as const
export type AuditMethod = (typeof auditMethods)[number]

/** Default threshold of greedy-prefix: fail when less than three quarters of the longer output is shared. */
export const greedyPrefixThreshold = 0.25

/** The generation parameters of a greedy-prefix audit job: what the auditor sends, and the reference runs. */
export function greedyPrefixParams({ seed, maxTokens }: { seed: number; maxTokens: number }): { temperature: 0; seed: number; max_tokens: number } {
  return { temperature: 0, seed, max_tokens: maxTokens }
}

/** score in [0, 1] and samples (code points of the longer output). Two empty outputs agree (score 0, samples 0). */
export function greedyPrefixScore(audited: string, reference: string): { score: number; samples: number } {
  const a = Array.from(audited)
  const r = Array.from(reference)
  const longer = Math.max(a.length, r.length)
  if (longer === 0) return { score: 0, samples: 0 }
  let shared = 0
  while (shared < a.length && shared < r.length && a[shared] === r[shared]) shared++
  return { score: 1 - shared / longer, samples: longer }
}

/** The logprob gap, in nats, that counts as a complete mismatch in greedy-logprob: 0.25 of it is 0.02 nats. */
export const logprobGapScale = 0.08

/** One output token and its log-probability, as engines report them (OpenAI's logprobs.content[]). */
export type AuditToken = Pick<TokenLogprob, 'token' | 'logprob'>

/** The generation parameters of a greedy-logprob audit job: greedy-prefix's, with the chosen tokens' logprobs. */
export function greedyLogprobParams(p: { seed: number; maxTokens: number }): { temperature: 0; seed: number; max_tokens: number; logprobs: true } {
  return { ...greedyPrefixParams(p), logprobs: true }
}

/**
 * score in [0, 1] and samples (tokens of the longer sequence). An audited output without logprobs, or whose tokens
 * do not spell its text, cannot be checked and scores 1: a node that announces logprobs must give the real ones.
 */
export function greedyLogprobScore(audited: { text: string; tokens: readonly AuditToken[] | undefined }, reference: readonly AuditToken[]): { score: number; samples: number } {
  const tokens = audited.tokens ?? []
  const longer = Math.max(tokens.length, reference.length)
  if (longer === 0) return { score: audited.text === '' ? 0 : 1, samples: 0 }
  if (tokens.map((t) => t.token).join('') !== audited.text) return { score: 1, samples: longer }
  let shared = 0
  let gap = 0
  while (shared < tokens.length && shared < reference.length && tokens[shared]!.token === reference[shared]!.token) {
    gap = Math.max(gap, Math.abs(tokens[shared]!.logprob - reference[shared]!.logprob))
    shared++
  }
  return { score: Math.max(1 - shared / longer, Math.min(1, gap / logprobGapScale)), samples: longer }
}

