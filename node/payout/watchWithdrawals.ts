// The node's guard against a payer leaving with what it owes (nips/cpr.md §6): a payer that asks to withdraw gets
// its deposit back minus what was claimed once the delay has passed, so the node redeems that payer's newest receipt
// during the delay. The node daemon runs this while payments are configured.
//
// It asks the chain for new WithdrawRequested events naming us every `pollMs` (block ranges through getLogs, so a
// restarted RPC node or a lost filter loses nothing), and at start, and after a gap too long to scan, it looks at the
// channel of every payer in the wallet instead, so a withdrawal requested while the node was away is caught too. Each
// payer found with a withdrawal pending and something left to claim is redeemed at once; a redeem that fails (chain
// down, transaction dropped) is tried again with a growing pause (node/retryQueue.ts) until it goes through or there
// is nothing left to claim. When the chain cannot be read, polling backs off the same way.
import { getAddress } from 'viem'
import type { Address, Hash } from 'viem'
import { silentLogger, type Logger } from '../../src/log.ts'
import { settlementAbi } from '../../src/contracts/settlementAbi.ts'
import type { SettlementClient } from '../../src/payments/clients.ts'
import { getChannel, redeem } from '../../src/payments/contract.ts'
import { SettlementRevertedError } from '../../src/payments/errors.ts'
import type { ReceiptWallet } from '../wallet/receiptWallet.ts'
import { createRetryQueue, type RetryOutcome } from '../retryQueue.ts'

export type WithdrawalRedeemEvent = { payer: Address; token: Address; hash?: Hash | undefined; amount?: bigint | undefined; error?: string | undefined }

export type WatchWithdrawalsParameters = {
  client: SettlementClient
  address: Address
  payee: Address
  wallet: Pick<ReceiptWallet, 'get' | 'list'>
  logger?: Logger | undefined
  /** Pause between two looks for new withdrawal requests, in ms (default 2000). */
  pollMs?: number | undefined
  /** First pause before a failed redeem or look is tried again, in ms (doubling up to maxRetryMs; default 1000). */
  retryMs?: number | undefined
  maxRetryMs?: number | undefined
  /** Widest block range asked in one getLogs; a longer gap is covered by looking at every payer's channel. */
  maxBlockRange?: bigint | undefined
  /** Called after each redeem attempt (for the daemon's logs and for tests). */
  onRedeem?: ((event: WithdrawalRedeemEvent) => void) | undefined
}

/** Starts watching; returns the function that stops it. */
export function watchWithdrawals({
  client,
  address,
  payee,
  wallet,
  logger = silentLogger,
  pollMs = 2000,
  retryMs = 1000,
  maxRetryMs = 60_000,
  maxBlockRange = 5000n,
  onRedeem,
}: WatchWithdrawalsParameters): () => void {
  const us = getAddress(payee)
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  /** Next block to scan; undefined: look at every payer's channel instead. */
  let fromBlock: bigint | undefined
  /** Looks that failed in a row (the chain could not be read). */
  let failures = 0

  const errorText = (err: unknown) => (err as Error & { shortMessage?: string }).shortMessage ?? (err as Error).message

  async function redeemIfLeaving({ payer, token }: { payer: Address; token: Address }): Promise<RetryOutcome> {
    const receipt = wallet.get(payer, token)
    if (!receipt) return 'done'
    try {
      const c = await getChannel(client, { address, payer, payee: us, token })
      const payable = receipt.cumulative < c.deposit ? receipt.cumulative : c.deposit
      // No withdrawal pending (none asked, or a deposit cancelled it), an old epoch, or nothing left: nothing to do.
      if (c.withdrawAt === 0 || receipt.epoch !== c.epoch || payable <= c.claimed) return 'done'
      const result = await redeem(client, { address, receipt })
      logger.info('redeemed before withdrawal', { payer, token, amount: result.amount.toString(), tx: result.hash })
      onRedeem?.({ payer, token, hash: result.hash, amount: result.amount })
      return 'done'
    } catch (err) {
      const error = errorText(err)
      onRedeem?.({ payer, token, error })
      // The contract refused it (withdrawn already, claimed by someone else's redeem, a receipt it rejects): the same
      // transaction would fail the same way, so it is not retried; `infernet payout` shows the channel.
      if (err instanceof SettlementRevertedError) {
        logger.warn('redeem before withdrawal refused by the contract', { payer, token, error })
        return 'done'
      }
      logger.warn('redeem before withdrawal failed; trying again', { payer, token, error })
      return 'retry'
    }
  }

  const redeems = createRetryQueue<{ payer: Address; token: Address }>({
    key: ({ payer, token }) => `${payer}:${token}`,
    attempt: redeemIfLeaving,
    minMs: retryMs,
    maxMs: maxRetryMs,
    logger,
  })
  const enqueue = (payer: Address, token: Address) => {
    if (!wallet.get(payer, token)) return
    redeems.add({ payer: getAddress(payer), token: getAddress(token) })
    void redeems.kick()
  }

  async function look(): Promise<void> {
    const head = await client.publicClient.getBlockNumber()
    if (fromBlock === undefined || head - fromBlock > maxBlockRange) {
      // Start, or a gap too long for one getLogs: every payer we hold a receipt of is checked on chain.
      for (const r of wallet.list()) enqueue(r.payer, r.token)
    } else if (head >= fromBlock) {
      const logs = await client.publicClient.getContractEvents({ address, abi: settlementAbi, eventName: 'WithdrawRequested', args: { payee: us }, fromBlock, toBlock: head })
      for (const log of logs) if (log.args.payer && log.args.token) enqueue(log.args.payer, log.args.token)
    }
    fromBlock = head + 1n
    // The chain answers: redeems waiting for it need not wait for their own pause.
    if (failures > 0 || redeems.size() > 0) void redeems.kick()
  }

  const schedule = (ms: number) => {
    if (stopped) return
    timer = setTimeout(() => {
      look().then(
        () => {
          failures = 0
          schedule(pollMs)
        },
        (err: unknown) => {
          failures++
          const next = Math.min(retryMs * 2 ** (failures - 1), maxRetryMs)
          logger.warn('cannot look for withdrawal requests; trying again', { error: errorText(err).split('\n')[0], retryInMs: next })
          schedule(next)
        },
      )
    }, ms)
    timer.unref?.()
  }
  schedule(0)

  return () => {
    stopped = true
    if (timer) clearTimeout(timer)
    redeems.close()
  }
}
