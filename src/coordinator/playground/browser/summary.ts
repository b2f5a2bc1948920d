// What the playground shows about a finished job, as label/value rows: pure, so the figures can be checked
// without a browser. Speed is measured in the page from the first token to the result (the generation phase),
// not from the submit, so a slow relay hop or a long prompt does not read as a slow node.
import { npubEncode } from 'nostr-tools/nip19'
import type { ChatResult } from '../../../../client/index.ts'
import { formatNative } from '../../../payments/units.ts'

export type JobTimings = { submittedMs: number; firstTokenMs: number | undefined; doneMs: number }

/** Completion tokens per second over the generation phase; undefined when it was too short to measure. */
export function tokensPerSecond(completionTokens: number, { firstTokenMs, doneMs }: JobTimings): number | undefined {
  if (firstTokenMs === undefined) return undefined
  const seconds = (doneMs - firstTokenMs) / 1000
  return seconds > 0 ? completionTokens / seconds : undefined
}

export type SummaryRow = { key: string; label: string; value: string }

export function summarizeJob(result: Pick<ChatResult, 'node' | 'cost' | 'usage' | 'ttftMs' | 'model' | 'jobs' | 'resumed'>, timings: JobTimings): SummaryRow[] {
  const tps = tokensPerSecond(result.usage.completionTokens, timings)
  const transport = result.jobs.at(-1)?.transport
  return [
    { key: 'node', label: 'Node', value: npubEncode(result.node) },
    { key: 'model', label: 'Model', value: result.model },
    // What the node's signed result says is due; this page holds no payment voucher, so it sends no receipt.
    { key: 'price', label: 'Price', value: formatNative(result.cost) },
    { key: 'tokens', label: 'Tokens', value: `${result.usage.promptTokens} in, ${result.usage.completionTokens} out` },
    { key: 'tps', label: 'Tokens/s', value: tps === undefined ? '–' : tps.toFixed(1) },
    { key: 'ttft', label: 'Time to first token', value: `${Math.round(result.ttftMs)} ms` },
    { key: 'transport', label: 'Channel', value: `${transport ?? 'unknown'}${result.resumed ? ', resumed on another node' : ''}` },
  ]
}
