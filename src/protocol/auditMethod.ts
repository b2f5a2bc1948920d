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
export const auditMethods = ['greedy-prefix'] as const
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
