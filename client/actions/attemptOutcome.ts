// What the chat and embed actions do alike with one attempt's outcome: tell a request every node would refuse from
// a node's failure, refuse a result that failed verification (in public, before the caller hears of it), and pay a
// verified one within the request's budget. Behaviour is specified in nips/client.md.
import type { NostrEvent } from '../../src/protocol/event.ts'
import { BudgetExceededError, RequestRejectedError, ResultVerificationError } from '../errors.ts'
import type { MarketNode } from '../market.ts'
import type { AttemptOutcome } from '../runAttempt.ts'
import { recordOutcome } from '../session.ts'
import type { VerifyResultReturnType } from '../verifyResult.ts'
import { budgetLeft, type ChatClient } from './actionClient.ts'
import { payNode } from './payNode.ts'
import { reportRejection } from './reportRejection.ts'

/**
 * The refusal another node would repeat (the request itself is too large or bad), or undefined for a failure of
 * this node. A node that does not speak the payload's version is the node's shortcoming: another may speak it.
 */
export function requestRejection(outcome: Extract<AttemptOutcome, { ok: false }>, node: string, model: string): RequestRejectedError | undefined {
  const versionRefused = outcome.code === 'bad-payload' && /payload version|content field v:/.test(outcome.reason)
  if ((outcome.code !== 'too-large' && outcome.code !== 'bad-payload') || versionRefused) return undefined
  return new RequestRejectedError({ node, reason: outcome.code, message: outcome.reason.replace(/^node error [a-z-]+: /, ''), model })
}

/** A result that failed verification: the node is not paid and excluded, the refusal published; the error to throw. */
export async function refuseResult(
  client: ChatClient,
  { node, job, resultEvent, verified }: { node: string; job: string; resultEvent: NostrEvent; verified: Extract<VerifyResultReturnType, { ok: false }> },
): Promise<ResultVerificationError> {
  if (client.config.excludeFailedNodes === 'session') client.session.bad.add(node)
  recordOutcome(client.session, node, false)
  client.logger.warn('result failed verification; node not paid and excluded', { node: node.slice(0, 12), job: job.slice(0, 12), reason: verified.reason })
  // Said in public before the caller hears of it, so reputation sees every refusal (nips/result-rejection.md).
  await reportRejection(client, { node, job, resultEvent, code: verified.code, message: verified.reason, claimed: verified.result?.usage, bound: verified.bound })
  return new ResultVerificationError({ node, job, reason: verified.reason })
}

/** Pays a verified result; throws BudgetExceededError when the budget left paid only part of it. Returns what was paid. */
export async function payResult(client: ChatClient, { node, job, amount, budget }: { node: MarketNode; job: string; amount: bigint; budget: bigint | undefined }): Promise<bigint> {
  recordOutcome(client.session, node.pubkey, true)
  const cost = await payNode(client, { node, job, amount, limit: budget })
  if (cost < amount) {
    const limit = budgetLeft(client.config.budget, client.session.spent - cost, budget)
    throw new BudgetExceededError({ budget: limit?.budget ?? 0n, spent: limit?.spent ?? 0n, needed: amount, paid: cost })
  }
  return cost
}
