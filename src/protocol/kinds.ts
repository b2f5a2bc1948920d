// Infernet event kinds. Each sits in the NIP-01 range that gives it the storage semantics it needs, and none
// collides with a kind listed in the NIPs repository README (checked 2026-11; see nips/README.md).

/** Addressable (30000-39999): a node's offer. The relay keeps the newest per (pubkey, d). */
export const Capability = 33830
export type Capability = typeof Capability

/** Replaceable (10000-19999): a node's live state. One per node in storage, NIP-40 expiration. */
export const Heartbeat = 13830
export type Heartbeat = typeof Heartbeat

/** Regular (1000-9999): a client's job, NIP-44 encrypted to one node. */
export const JobRequest = 3830
export type JobRequest = typeof JobRequest

/** Regular: the node's signed end of a job (usage, output hash, amount due). */
export const JobResult = 3831
export type JobResult = typeof JobResult

/** Regular with expiration: queued / processing / error / success / cancelled. */
export const JobStatus = 3832
export type JobStatus = typeof JobStatus

/** Regular: a Compute Payment Receipt (EIP-712 voucher), NIP-44 encrypted to the node. */
export const Receipt = 3833
export type Receipt = typeof Receipt

/** Regular: a client's signed refusal of a node's result (why it did not pay), for reputation. */
export const ResultRejection = 3834
export type ResultRejection = typeof ResultRejection

/** Regular: an auditor's signed verdict on whether a node serves the model (and weights) it announces. */
export const AuditVerdict = 3835
export type AuditVerdict = typeof AuditVerdict

/** Ephemeral (20000-29999): encrypted output tokens sent through a relay. Never stored. */
export const StreamChunk = 23830
export type StreamChunk = typeof StreamChunk

/** Ephemeral: a client asks the node to stop a job. */
export const JobCancel = 23831
export type JobCancel = typeof JobCancel

/** NIP-98 HTTP Auth, reused for the node's stream endpoint. */
export const HttpAuth = 27235
export type HttpAuth = typeof HttpAuth

/** NIP-01 metadata: replaceable. */
export const Metadata = 0
export type Metadata = typeof Metadata

/** NIP-02 follow list: replaceable. */
export const Contacts = 3
export type Contacts = typeof Contacts

/** NIP-09 deletion request. */
export const EventDeletion = 5
export type EventDeletion = typeof EventDeletion

/** NIP-42 AUTH: only ever sent in AUTH messages, never published. */
export const ClientAuth = 22242
export type ClientAuth = typeof ClientAuth

/** NIP-01 kind ranges that are not regular, inclusive. Kinds 0 and 3 are replaceable too (see kindClass). */
export const kindRanges = {
  replaceable: [10000, 19999],
  ephemeral: [20000, 29999],
  addressable: [30000, 39999],
} as const

/** How NIP-01 says a relay stores a kind: keep all, keep the newest per pubkey, keep none, newest per (pubkey, d). */
export type KindClass = 'regular' | 'replaceable' | 'ephemeral' | 'addressable'

const within = (kind: number, [min, max]: readonly [number, number]) => kind >= min && kind <= max

export function kindClass(kind: number): KindClass {
  if (kind === Metadata || kind === Contacts || within(kind, kindRanges.replaceable)) return 'replaceable'
  if (within(kind, kindRanges.ephemeral)) return 'ephemeral'
  if (within(kind, kindRanges.addressable)) return 'addressable'
  return 'regular'
}
