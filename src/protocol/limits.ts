import * as kinds from './kinds.ts'

/** Largest serialized event (bytes of JSON) accepted per kind. Documented in nips/README.md. */
export const maxEventBytes: Record<number, number> = {
  [kinds.Capability]: 16 * 1024,
  [kinds.Heartbeat]: 4 * 1024,
  [kinds.JobRequest]: 384 * 1024,
  [kinds.JobResult]: 192 * 1024,
  [kinds.JobStatus]: 4 * 1024,
  [kinds.Receipt]: 8 * 1024,
  [kinds.ResultRejection]: 4 * 1024,
  [kinds.AuditVerdict]: 4 * 1024,
  [kinds.StreamChunk]: 32 * 1024,
  [kinds.JobCancel]: 2 * 1024,
  [kinds.HttpAuth]: 4 * 1024,
}

/** Largest plaintext job payload (messages + params), in UTF-8 bytes. Split over several NIP-44 payloads. */
export const maxJobPayloadBytes = 256 * 1024
/** Events dated further ahead than this are rejected (clock skew allowance). */
export const maxFutureSeconds = 15 * 60
/** Most tags any Infernet event may carry. */
export const maxTags = 64
/**
 * Largest image (decoded bytes) a job payload carries, as a base64 data: URL: 128 KiB is 171 KiB of base64, which
 * leaves the rest of the payload room within maxJobPayloadBytes.
 */
export const maxImageBytes = 128 * 1024
/** Most choices (OpenAI's `n`) one request may ask of the gateway or `infernet chat`: each is a job, paid and held against the budget on its own. */
export const maxChoices = 8
/** Most tool (function) definitions one job offers the model: OpenAI's own limit. */
export const maxTools = 128
/** Most tool calls one assistant message (or one answer) carries. */
export const maxToolCallsPerMessage = 64
