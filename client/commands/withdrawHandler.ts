import { printJson, table } from '../../src/cli/command.ts'
import { formatTime, paymentsCliContext } from '../../src/payments/cliContext.ts'
import type { PaymentsCliFlags } from '../../src/payments/cliContext.ts'
import { getChannel, requestWithdraw, withdraw } from '../../src/payments/contract.ts'
import { requireSettlementContract, withFundsError } from '../../src/payments/preflight.ts'
import { guardRpc } from '../../src/payments/guardRpc.ts'
import { zeroAddress } from 'viem'
import { formatNative } from '../../src/payments/units.ts'
import { resolvePayee } from './resolvePayee.ts'

/** Step 1 (no request pending): requestWithdraw. Step 2 (delay passed): withdraw. In between: says when. */
export async function runWithdraw(argv: PaymentsCliFlags & { node: string; json?: boolean | undefined }): Promise<void> {
  const { identity, config, client, relays } = paymentsCliContext(argv)
  const payee = await resolvePayee(argv.node, { relays, domain: { chainId: config.chainId, verifyingContract: config.settlementAddress } })
  const base = { address: config.settlementAddress, payee, token: config.token }
  await requireSettlementContract(client, config.settlementAddress)
  const channel = await getChannel(client, { ...base, payer: identity.address })
  let out: Record<string, unknown>
  if (channel.withdrawAt === 0) {
    const r = await withFundsError(client, identity.address, () => requestWithdraw(client, base))
    out = { step: 'requested', amount: r.amount, availableAt: formatTime(r.availableAt), tx: r.hash, next: 'run `infernet withdraw` again after availableAt' }
  } else {
    const block = await guardRpc(client, () => client.publicClient.getBlock())
    if (block.timestamp < BigInt(channel.withdrawAt)) {
      out = { step: 'pending', amount: channel.available, availableAt: formatTime(channel.withdrawAt), next: 'run `infernet withdraw` again after availableAt' }
    } else {
      const r = await withFundsError(client, identity.address, () => withdraw(client, base))
      out = { step: 'withdrawn', amount: r.amount, newEpoch: channel.epoch + 1, tx: r.hash }
    }
  }
  out = { node: payee, ...out }
  if (argv.json) printJson(out)
  else {
    const shown = (field: string, value: unknown) => (field === 'amount' && config.token === zeroAddress ? formatNative(value as bigint) : String(value))
    process.stdout.write(table(Object.entries(out).map(([field, value]) => ({ field, value: shown(field, value) }))) + '\n')
  }
}
