// What the SDK's actions (chat, embed) need of the client: its identity, transports, candidate source, settings and
// session state, and the budget rule they share. A leaf of the actions, so they import it without importing each other.
import type { ModelFeature } from '../../src/protocol/features.ts'
import type { Logger } from '../../src/log.ts'
import type { RelayPool } from '../../src/net/relayPool.ts'
import type { Price } from '../../src/protocol/schema.ts'
import type { EventVerifier } from '../../src/protocol/verify.ts'
import type { Signer } from '../../src/signer.ts'
import type { DirectChannels } from '../directChannel.ts'
import type { MarketNode } from '../market.ts'
import type { ReceiptOutbox } from '../payments/receiptOutbox.ts'
import type { ReceiptIssuer } from '../receipts.ts'
import type { RoutingPolicy } from '../routing.ts'
import type { ClientSession } from '../session.ts'

/** The settings the loop reads; the SDK class fills them from its parameters and defaults. */
export type ChatConfig = {
  routing: RoutingPolicy
  acceptTimeoutMs: number
  firstTokenTimeoutMs: number
  stallTimeoutMs: number
  resume: boolean
  maxAttempts: number
  budget: bigint | undefined
  maxPrice: Price | undefined
  /** Whether a node that failed verification is excluded for the session or only for that request (client.ts). */
  excludeFailedNodes: 'session' | 'request'
}

/** What the chat action needs from the SDK: its identity, transports, candidate source and session state. */
export type ChatClient = {
  signer: Signer
  pool: RelayPool
  channels: DirectChannels
  verifier: EventVerifier
  logger: Logger
  clock: () => number
  config: ChatConfig
  session: ClientSession
  receipts: ReceiptIssuer | undefined
  outbox?: ReceiptOutbox | undefined
  /** Candidates come from a node source or a coordinator (else from the client's own view of the relays). */
  hostedSource: 'nodeSource' | 'coordinator' | undefined
  /** The market for `model` (all live models when undefined), best first for `routing` when a node source ranks. */
  nodes(query: { model?: string | undefined; routing?: RoutingPolicy | undefined; features?: readonly ModelFeature[] | undefined }): Promise<MarketNode[]>
  closed(): boolean
}

/** The tighter of the session's budget left and the request's own (undefined when neither is set). */
export function budgetLeft(budget: bigint | undefined, spent: bigint, request: bigint | undefined): { budget: bigint; spent: bigint; left: bigint } | undefined {
  const session = budget === undefined ? undefined : { budget, spent, left: budget - spent }
  if (request === undefined) return session
  return session && session.left < request ? session : { budget: request, spent: 0n, left: request }
}
