import { zeroAddress } from 'viem'
import { printJson, table } from '../../src/cli/command.ts'
import { paymentsCliContext, parseAmount } from '../../src/payments/cliContext.ts'
import type { PaymentsCliFlags } from '../../src/payments/cliContext.ts'
import { deposit, getChannel } from '../../src/payments/contract.ts'
import { requireFunds, requireSettlementContract, withFundsError } from '../../src/payments/preflight.ts'
import { formatNative } from '../../src/payments/units.ts'
import { resolvePayee } from './resolvePayee.ts'

export async function runDeposit(argv: PaymentsCliFlags & { amount: string; node: string; json?: boolean | undefined }): Promise<void> {
  const amount = parseAmount(argv.amount)
  const { identity, config, client, relays } = paymentsCliContext(argv)
  const payee = await resolvePayee(argv.node, { relays, domain: { chainId: config.chainId, verifyingContract: config.settlementAddress } })
  const token = config.token
  await requireSettlementContract(client, config.settlementAddress)
  await requireFunds(client, { account: identity.address, token, amount })
  const result = await withFundsError(client, identity.address, () => deposit(client, { address: config.settlementAddress, payee, token, amount }))
  const channel = await getChannel(client, { address: config.settlementAddress, payer: identity.address, payee, token })
  const out = {
    step: 'deposited',
    node: payee,
    token: token === zeroAddress ? 'native' : token,
    amount,
    deposit: channel.deposit,
    available: channel.available,
    epoch: channel.epoch,
    tx: result.hash,
    ...(result.approveHash ? { approveTx: result.approveHash } : {}),
  }
  if (argv.json) printJson(out)
  else {
    const money = new Set(['amount', 'deposit', 'available'])
    const shown = (field: string, value: unknown) => (money.has(field) && token === zeroAddress ? formatNative(value as bigint) : String(value))
    process.stdout.write(table(Object.entries(out).map(([field, value]) => ({ field, value: shown(field, value) }))) + '\n')
  }
}
