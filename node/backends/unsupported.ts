// What a request asks of its engine beyond text, and the refusal when the engine cannot do it. A node never drops
// a field it cannot honour: the job ends `bad-payload` naming the field (nips/job-request.md, "Version 2"), so the
// client knows why, instead of getting plain text where it asked for a tool call. Pure.
import { messageImages } from '../../src/protocol/chatMessage.ts'
import { BackendError } from '../errors/backend.ts'
import type { BackendKind, ChatRequest } from './types.ts'

export type EngineFeature = 'tools' | 'response_format' | 'images' | 'logprobs' | 'reasoning_effort'

/** The features `request` uses, each with the field that asks for it. */
export function requestedFeatures(request: ChatRequest): { feature: EngineFeature; field: string }[] {
  const p = request.params ?? {}
  const out: { feature: EngineFeature; field: string }[] = []
  if (p.tools?.length || request.messages.some((m) => 'tool_calls' in m && m.tool_calls)) out.push({ feature: 'tools', field: 'tools' })
  if (p.response_format && p.response_format.type !== 'text') out.push({ feature: 'response_format', field: 'response_format' })
  if (request.messages.some((m) => messageImages(m).length > 0)) out.push({ feature: 'images', field: 'messages[].content image_url' })
  if (p.logprobs) out.push({ feature: 'logprobs', field: 'logprobs' })
  if (p.reasoning_effort !== undefined) out.push({ feature: 'reasoning_effort', field: 'reasoning_effort' })
  return out
}

/** Throws the backend's refusal for the first feature of `request` it does not support. */
export function refuseUnsupported(request: ChatRequest, backend: BackendKind, supported: ReadonlySet<EngineFeature>): void {
  const missing = requestedFeatures(request).find((f) => !supported.has(f.feature))
  if (missing) throw new BackendError({ reason: 'bad-request', backend, details: `the ${backend} backend does not support ${missing.field}` })
}
