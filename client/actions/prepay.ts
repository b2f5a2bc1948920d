// The prepay action: send a node a prepaid receipt (a kind 3833 event without an `e` tag, nips/cpr.md) before the job
// it pays for, and wait for the node to take it: a node that serves only paid work counts the job against it when it
// arrives, so the job must not overtake it. Over the node's direct channel, where the answer names the receipt
// (nips/stream.md `receipt-ack`); also published to relays, for the record and for a node that reads only those.
import type { Logger } from '../../src/log.ts'
import type { GenerationParams } from '../../src/protocol/generationParams.ts'
import type { ChatMessage } from '../../src/protocol/jobRequest.ts'
import type { Price } from '../../src/protocol/schema.ts'
import { defaultMaxOutputTokens, worstCaseAmount } from '../../src/protocol/worstCase.ts'
import { DepositExhaustedError, type CandidateFailure } from '../errors.ts'
import type { ReceiptIssuer } from '../receipts.ts'
import type { RelayPool } from '../../src/net/relayPool.ts'
import { buildReceiptEvent, type ReceiptVoucherJson } from '../../src/protocol/receipt.ts'
import type { Signer } from '../../src/signer.ts'
import type { DirectChannels } from '../directChannel.ts'
import type { MarketNode } from '../market.ts'

export type PrepayClient = { signer: Signer; pool: RelayPool; channels: DirectChannels; logger: Logger; clock: () => number }

export type PrepayParameters = { node: MarketNode; voucher: ReceiptVoucherJson; timeoutMs: number }

/** `ok: false` with the node's reason when it refused the receipt or did not answer in time. */
export type PrepayReturnType = { ok: true } | { ok: false; reason: string }

export async function prepayNode(client: PrepayClient, { node, voucher, timeoutMs }: PrepayParameters): Promise<PrepayReturnType> {
  const event = await buildReceiptEvent(client.signer, { node: node.pubkey, voucher, now: Math.floor(client.clock() / 1000) })
  const published = client.pool.publish(event).catch((err: unknown) => client.logger.warn('prepaid receipt not published to relays', { error: (err as Error).message.split('\n')[0] }))
  // Without a direct channel there is no answer to wait for: the relays carry it, and the node's refusal of the job
  // (payment) would say it did not arrive first.
  if (!node.stream) return published.then(() => ({ ok: true }))
  let ack
  try {
    ack = await client.channels.get(node.stream).sendReceipt(event, timeoutMs)
  } catch (err) {
    return { ok: false, reason: `could not reach the node to pay ahead: ${(err as Error).message.split('\n')[0]}` }
  }
  if (!ack) return { ok: false, reason: `the node did not answer the prepaid receipt within ${timeoutMs} ms` }
  return ack.accepted ? { ok: true } : { ok: false, reason: `the node refused the prepaid receipt: ${ack.reason ?? 'no reason given'}` }
}

export type PayAheadParameters = {
  node: MarketNode
  price: Price
  messages: ChatMessage[]
  params: GenerationParams | undefined
  receipts: ReceiptIssuer
  timeoutMs: number
}

/**
 * Before a job to a priced node: asks the issuer whether the job can be paid and pays ahead when the node's credit
 * cannot hold it. Returns the parameters to send (a job paid ahead names the max_tokens it was paid for, since the
 * node would otherwise count it at its own default), or why this node is skipped.
 */
export async function payAhead(
  client: PrepayClient,
  { node, price, messages, params, receipts, timeoutMs }: PayAheadParameters,
): Promise<{ ok: true; params: GenerationParams | undefined } | { ok: false; failure: CandidateFailure; error?: DepositExhaustedError | undefined }> {
  if (!receipts.prepare) return { ok: true, params }
  const maxTokens = params?.max_tokens ?? defaultMaxOutputTokens
  const paid = await payAheadAmount(client, { node, worstCase: worstCaseAmount({ messages, maxTokens }, price), receipts, timeoutMs })
  if (!paid.ok) return paid
  return { ok: true, params: paid.prepaid ? { ...params, max_tokens: maxTokens } : params }
}

/**
 * The same for a job whose worst case the caller knows (an embeddings job: its input's worst-case tokens at the input
 * price): `prepaid` says whether a receipt went ahead of the job.
 */
export async function payAheadAmount(
  client: PrepayClient,
  { node, worstCase, receipts, timeoutMs }: { node: MarketNode; worstCase: bigint; receipts: ReceiptIssuer; timeoutMs: number },
): Promise<{ ok: true; prepaid: boolean } | { ok: false; failure: CandidateFailure; error?: DepositExhaustedError | undefined }> {
  if (!receipts.prepare) return { ok: true, prepaid: false }
  const prepared = await receipts.prepare({ node: node.pubkey, payment: node.capability.payment, worstCase })
  if (!prepared.ok) {
    return {
      ok: false,
      failure: { node: node.pubkey, reason: `could cost up to ${worstCase}; your deposit to it has ${prepared.available} left` },
      error: new DepositExhaustedError({ node: node.pubkey, available: prepared.available, needed: worstCase }),
    }
  }
  if (!prepared.prepaid) return { ok: true, prepaid: false }
  const sent = await prepayNode(client, { node, voucher: prepared.prepaid, timeoutMs })
  if (!sent.ok) return { ok: false, failure: { node: node.pubkey, reason: sent.reason, code: 'payment' } }
  return { ok: true, prepaid: true }
}
