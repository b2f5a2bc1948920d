// Door checks for one job request, in the normative order (nips/stream.md, "Job intake"): public validation
// (shape, size, id, signature, expiry, addressed to us), then, after dedupe, decryption and the payload checks
// (schema, parameter nesting, prompt size, bid vs price). Pure: each step returns the data or a stable job error code.
import { type NostrEvent } from '../../src/protocol/event.ts'
import { messageBytes } from '../../src/protocol/chatMessage.ts'
import { embeddingInputBytes } from '../../src/protocol/embeddingJob.ts'
import { jsonDepth, maxParamsDepth } from '../../src/protocol/jsonDepth.ts'
import { decryptJobRequest, parseJobRequest, type JobPayload, type JobRequest } from '../../src/protocol/jobRequest.ts'
import type { JobErrorCode } from '../../src/protocol/jobStatus.ts'
import { bidCovers } from '../../src/protocol/price.ts'
import type { Price } from '../../src/protocol/schema.ts'
import type { Signer } from '../../src/signer.ts'
import type { EventVerifier } from '../../src/protocol/verify.ts'

export type IntakeError = { ok: false; code: JobErrorCode; message: string }

export function checkJobEvent(
  input: unknown,
  { node, now, verify, deferSignature }: { node: string; now: number; verify?: EventVerifier | undefined; deferSignature?: boolean | undefined },
): { ok: true; event: NostrEvent; request: JobRequest } | IntakeError {
  const parsed = parseJobRequest(input, { now, verify, deferSignature })
  if (!parsed.ok) return { ok: false, code: parsed.code === 'expired' ? 'expired' : parsed.code === 'too-large' ? 'too-large' : 'invalid', message: parsed.reason }
  if (parsed.data.node !== node) return { ok: false, code: 'invalid', message: 'invalid: job request is addressed to another node' }
  return { ok: true, event: parsed.event, request: parsed.data }
}

export function promptBytes(payload: JobPayload): number {
  if (payload.v === 3) return embeddingInputBytes(payload.input)
  let n = 0
  for (const m of payload.messages) n += messageBytes(m)
  return n
}

export async function checkJobPayload(
  event: NostrEvent,
  { signer, price, maxPromptBytes }: { signer: Signer; price: Price; maxPromptBytes: number },
): Promise<{ ok: true; payload: JobPayload } | IntakeError> {
  const dec = await decryptJobRequest(event, signer)
  if (!dec.ok) return { ok: false, code: dec.code === 'undecryptable' ? 'undecryptable' : dec.code === 'too-large' ? 'too-large' : 'bad-payload', message: dec.reason }
  const payload = dec.data
  // Refused here, as the client's mistake: nested deeper, they would overflow the stack of the backend request and
  // end as a failure of the node's backend.
  const depth = payload.v === 3 ? 0 : jsonDepth(payload.params, maxParamsDepth)
  if (depth > maxParamsDepth) return { ok: false, code: 'bad-payload', message: `job parameters nest more than ${maxParamsDepth} levels deep; this node accepts at most ${maxParamsDepth}` }
  const size = promptBytes(payload)
  if (size > maxPromptBytes) return { ok: false, code: 'too-large', message: `prompt is ${size} bytes, this node accepts at most ${maxPromptBytes}` }
  if (!bidCovers(payload.bid, price)) {
    return { ok: false, code: 'bid-too-low', message: `bid ${payload.bid.input},${payload.bid.output} is below the price ${price.input},${price.output} per million tokens` }
  }
  return { ok: true, payload }
}
