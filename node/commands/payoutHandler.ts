import { getAddress, isAddress, zeroAddress } from 'viem'
import { printJson, table } from '../../src/cli/command.ts'
import { BaseError } from '../../src/errors/base.ts'
import { createLogger } from '../../src/log.ts'
import { paymentsCliContext } from '../../src/payments/cliContext.ts'
import type { PaymentsCliFlags } from '../../src/payments/cliContext.ts'
import { createReceiptWallet, receiptWalletPath } from '../wallet/receiptWallet.ts'
import { payout, type PayoutRow } from '../payout/payout.ts'

/** Some redeem (or its gas estimate) failed: the receipts are still in the wallet, nothing was lost, nothing was paid. */
export class PayoutFailedError extends BaseError {
  override name = 'PayoutFailedError'
  override code = 'payout-failed'
  constructor(failed: PayoutRow[]) {
    const reasons = [...new Set(failed.map((r) => r.error ?? 'unknown error'))]
    super(`Redeeming failed for ${failed.length} payer${failed.length === 1 ? '' : 's'}: ${reasons.join('; ')}`, {
      docsPath: 'cpr.md',
      metaMessages: [
        'The receipts stay in the wallet: run `infernet payout` again once the cause is fixed.',
        'Check that the sending account (this key\'s payment address, `infernet keys`) holds coin for gas, and that INFERNET_CHAIN_RPC answers.',
      ],
    })
  }
}

export async function runPayout(argv: PaymentsCliFlags & { dryRun?: boolean | undefined; min?: string | undefined; payee?: string | undefined; json?: boolean | undefined }): Promise<void> {
  const { home, identity, config, client } = paymentsCliContext(argv)
  const rawPayee = argv.payee ?? process.env.INFERNET_PAYOUT_ADDRESS ?? identity.address
  if (!isAddress(rawPayee, { strict: false })) throw new BaseError(`Invalid payout address "${rawPayee}".`)
  if (argv.min !== undefined && !/^\d+$/.test(argv.min)) throw new BaseError(`Invalid --min "${argv.min}": expected an integer amount in base units.`)
  const payee = getAddress(rawPayee)
  const wallet = createReceiptWallet({ path: receiptWalletPath(home), payee, domain: { chainId: config.chainId, verifyingContract: config.settlementAddress }, client })
  try {
    const result = await payout({
      client,
      address: config.settlementAddress,
      payee,
      wallet,
      min: argv.min === undefined ? 1n : BigInt(argv.min),
      dryRun: argv.dryRun ?? false,
      logger: createLogger({ component: 'payout' }),
    })
    const failed = result.rows.filter((r) => r.status === 'failed')
    if (argv.json) {
      printJson({ dryRun: argv.dryRun ?? false, payee, ...result })
      if (failed.length) throw new PayoutFailedError(failed)
      return
    }
    const tokenName = (t: string) => (t === zeroAddress ? 'native' : t)
    process.stdout.write(
      table(result.rows.map((r) => ({ payer: r.payer, token: tokenName(r.token), cumulative: String(r.cumulative), deposit: String(r.deposit), claimed: String(r.claimed), claimable: String(r.claimable), gas: r.gas === undefined ? '-' : String(r.gas), status: r.status, tx: r.hash ?? r.error ?? '-' }))) + '\n',
    )
    for (const t of result.totals) {
      process.stdout.write(`${argv.dryRun ? 'would redeem' : 'redeemed'} ${t.amount} ${tokenName(t.token)} for ${payee}, gas ${t.gas}${t.transactions.length ? `, tx ${t.transactions.join(' ')}` : ''}\n`)
    }
    if (result.totals.length === 0) process.stdout.write('nothing to redeem\n')
    if (failed.length) throw new PayoutFailedError(failed)
  } finally {
    wallet.close()
  }
}
