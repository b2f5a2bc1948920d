// The pay action: account what a verified job costs (capped by the budget) and send the node the cumulative
// receipt, over its open direct channel and through relays. Returns what was paid.
import type { Logger } from '../../src/log.ts'
import type { RelayPool } from '../../src/net/relayPool.ts'
import { buildReceiptEvent } from '../../src/protocol/receipt.ts'
import type { Signer } from '../../src/signer.ts'
import type { DirectChannels } from '../directChannel.ts'
import type { MarketNode } from '../market.ts'
import type { ReceiptOutbox } from '../payments/receiptOutbox.ts'
import type { ReceiptIssuer } from '../receipts.ts'
import type { ClientSession } from '../session.ts'

export type PayNodeClient = {
  signer: Signer
  pool: RelayPool
  channels: DirectChannels
  logger: Logger
  clock: () => number
  config: { budget: bigint | undefined }
  session: ClientSession
  /** Signs payment vouchers; without it the amount is accounted but no receipt is sent. */
  receipts: ReceiptIssuer | undefined
  /** Where sent receipts wait for the node's acknowledgement (to be sent again while it has none). */
  outbox?: ReceiptOutbox | undefined
}

export type PayNodeParameters = {
  node: MarketNode
  job: string
  amount: bigint
  /** Most this one payment may be (the request's own budget), within what the client's budget has left. */
  limit?: bigint | undefined
}

/** The amount paid: `amount`, or less when the budget runs out (0n once it has). */
export type PayNodeReturnType = bigint

/** Never throws: a receipt that cannot be issued or published is logged, and the amount stays accounted. */
export type PayNodeErrorType = never

export async function payNode(client: PayNodeClient, { node, job, amount, limit }: PayNodeParameters): Promise<PayNodeReturnType> {
  const { session, logger } = client
  const budget = client.config.budget
  if (amount === 0n) return 0n
  let paid = amount
  if (budget !== undefined && budget - session.spent < paid) paid = budget - session.spent
  if (limit !== undefined && limit < paid) paid = limit
  if (paid <= 0n) return 0n
  session.spent += paid
  const cumulative = (session.owed.get(node.pubkey) ?? 0n) + paid
  session.owed.set(node.pubkey, cumulative)
  if (!client.receipts) {
    logger.debug('no receipt issuer configured; receipt not sent', { node: node.pubkey.slice(0, 12) })
    return paid
  }
  try {
    const voucher = await client.receipts.issue({ node: node.pubkey, job, amount: paid, cumulative, payment: node.capability.payment })
    if (!voucher) return paid
    const event = await buildReceiptEvent(client.signer, { node: node.pubkey, job, voucher, now: Math.floor(client.clock() / 1000) })
    client.outbox?.sent({ node: node.pubkey, job, event, stream: node.stream })
    if (node.stream) client.channels.peek(node.stream)?.send({ type: 'receipt', event })
    await client.pool.publish(event).catch((err: unknown) => logger.warn('receipt not published to relays', { error: (err as Error).message.split('\n')[0] }))
  } catch (err) {
    logger.warn('could not issue a receipt', { node: node.pubkey.slice(0, 12), error: (err as Error).message.split('\n')[0] })
  }
  return paid
}
