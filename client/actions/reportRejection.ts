// The report action: a client that refuses a node's result says so in public, as a signed kind-3834 event
// (src/protocol/resultRejection.ts), so that coordinators and other clients can weigh the refusal. It names the job,
// the node, the refused result and the reason, with the claimed usage beside the client's bound; no prompt or output.
import type { Logger } from '../../src/log.ts'
import type { RelayPool } from '../../src/net/relayPool.ts'
import { buildResultRejection, type RejectionCode, type TokenCounts } from '../../src/protocol/resultRejection.ts'
import type { Signer } from '../../src/signer.ts'

export type ReportRejectionClient = { signer: Signer; pool: RelayPool; logger: Logger; clock: () => number }

export type ReportRejectionParameters = {
  node: string
  job: string
  /** The refused result event as received (its id is named when it has one). */
  resultEvent: unknown
  code: RejectionCode
  message: string
  claimed?: TokenCounts | undefined
  bound?: TokenCounts | undefined
}

/** Never throws: a rejection that cannot be signed or published is logged; the refusal itself stands. */
export type ReportRejectionErrorType = never

export async function reportRejection(client: ReportRejectionClient, p: ReportRejectionParameters): Promise<void> {
  const raw = typeof p.resultEvent === 'object' && p.resultEvent !== null ? (p.resultEvent as { id?: unknown }).id : undefined
  try {
    const event = await buildResultRejection(client.signer, {
      job: p.job,
      node: p.node,
      result: typeof raw === 'string' ? raw : undefined,
      code: p.code,
      message: p.message,
      claimed: p.claimed,
      bound: p.bound,
      now: Math.floor(client.clock() / 1000),
    })
    await client.pool.publish(event)
  } catch (err) {
    client.logger.warn('result rejection not published', { node: p.node.slice(0, 12), job: p.job.slice(0, 12), error: (err as Error).message.split('\n')[0] })
  }
}
