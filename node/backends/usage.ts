// Usage accounting when a backend does not report it (usage:false, or a server without include_usage).
// Completion tokens: one per non-empty delta. Every server we support streams one sampled token per
// chunk (Ollama one NDJSON record per token, vLLM/SGLang/llama.cpp/MAX one SSE event per token unless
// stream intervals are raised), so counting deltas is the exact token count in the common case and an
// under-count when a server batches tokens. Prompt tokens: ceil(chars / 4) over all message contents plus
// 4 per message for the chat template, the usual rough estimate for BPE tokenizers on English text.
import { messageBytes, type ChatMessage } from '../../src/protocol/chatMessage.ts'
import type { Usage } from './types.ts'

export function estimatePromptTokens(messages: ChatMessage[]): number {
  let n = 0
  for (const m of messages) n += Math.ceil(messageBytes(m) / 4) + 4
  return n
}

/** Normalizes backend finish reasons to OpenAI's vocabulary ('stop', 'length', or the raw value). */
export function normalizeFinishReason(reason: unknown): string {
  if (reason === 'eos' || reason === 'stop' || reason === 'stop_sequence' || reason === 'unload') return 'stop'
  if (reason === 'length' || reason === 'max_tokens' || reason === 'limit') return 'length'
  return typeof reason === 'string' && reason ? reason : 'stop'
}

/**
 * Reasoning tokens where the engine gave none: the chunks that carried reasoning (one token each, as above), at
 * most the completion tokens. Nothing when no reasoning streamed, so a plain reply reports no detail.
 */
export function withCountedReasoning(usage: Usage, countedReasoning: number): Usage {
  if (usage.reasoningTokens !== undefined || countedReasoning === 0) return usage
  return { ...usage, reasoningTokens: Math.min(countedReasoning, usage.completionTokens) }
}
