// What the indexer keeps of one event: each indexed kind parsed at the door with its src/protocol parser, so a
// forged or malformed event never reaches the queue, and a job submitted through the REST API.
import { parseAuditVerdict, type AuditVerdict } from '../protocol/auditVerdict.ts'
import { parseCapability, type Capability } from '../protocol/capability.ts'
import type { NostrEvent, Rejected } from '../protocol/event.ts'
import type { EventVerifier } from '../protocol/verify.ts'
import { parseHeartbeat, type Heartbeat } from '../protocol/heartbeat.ts'
import type { JobRequest } from '../protocol/jobRequest.ts'
import { parseJobResult, type JobResult } from '../protocol/jobResult.ts'
import { parseJobStatus, type JobStatus } from '../protocol/jobStatus.ts'
import * as kinds from '../protocol/kinds.ts'
import { parseReceiptEvent } from '../protocol/receipt.ts'
import { parseResultRejection, type ResultRejection } from '../protocol/resultRejection.ts'

export type IndexedEvent =
  | { type: 'capability'; event: NostrEvent; data: Capability }
  | { type: 'heartbeat'; event: NostrEvent; data: Heartbeat }
  | { type: 'status'; event: NostrEvent; data: JobStatus }
  | { type: 'result'; event: NostrEvent; data: JobResult }
  | { type: 'receipt'; event: NostrEvent; data: { node: string; client: string; job: string | undefined; createdAt: number } }
  | { type: 'verdict'; event: NostrEvent; data: AuditVerdict }
  | { type: 'rejection'; event: NostrEvent; data: ResultRejection }

/** A queued item: a validated event, or a job the coordinator's own API was handed. */
export type IndexedItem = IndexedEvent | { type: 'submitted'; data: JobRequest; model: string | null }

/** Parses `input` as whichever indexed kind it claims to be; anything else is `wrong-kind`. */
export function parseIndexedEvent(input: unknown, options: { now: number; verify: EventVerifier }): { ok: true; item: IndexedEvent } | Rejected {
  const kind = typeof input === 'object' && input !== null ? (input as { kind?: unknown }).kind : undefined
  switch (kind) {
    case kinds.Capability: {
      const r = parseCapability(input, options)
      return r.ok ? { ok: true, item: { type: 'capability', event: r.event, data: r.data } } : r
    }
    case kinds.Heartbeat: {
      const r = parseHeartbeat(input, options)
      return r.ok ? { ok: true, item: { type: 'heartbeat', event: r.event, data: r.data } } : r
    }
    case kinds.JobStatus: {
      const r = parseJobStatus(input, options)
      return r.ok ? { ok: true, item: { type: 'status', event: r.event, data: r.data } } : r
    }
    case kinds.JobResult: {
      const r = parseJobResult(input, options)
      return r.ok ? { ok: true, item: { type: 'result', event: r.event, data: r.data } } : r
    }
    case kinds.Receipt: {
      const r = parseReceiptEvent(input, options)
      return r.ok ? { ok: true, item: { type: 'receipt', event: r.event, data: r.data } } : r
    }
    case kinds.AuditVerdict: {
      const r = parseAuditVerdict(input, options)
      return r.ok ? { ok: true, item: { type: 'verdict', event: r.event, data: r.data } } : r
    }
    case kinds.ResultRejection: {
      const r = parseResultRejection(input, options)
      return r.ok ? { ok: true, item: { type: 'rejection', event: r.event, data: r.data } } : r
    }
    default:
      return { ok: false, code: 'wrong-kind', reason: 'invalid: kind not indexed' }
  }
}
