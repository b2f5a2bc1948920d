import { zeroAddress } from 'viem'
import type { Address } from 'viem'
import { printJson, table } from '../../src/cli/command.ts'
import { formatTime, paymentsCliContext } from '../../src/payments/cliContext.ts'
import type { PaymentsCliFlags } from '../../src/payments/cliContext.ts'
import { getChannel, listChannels } from '../../src/payments/contract.ts'
import { requireSettlementContract } from '../../src/payments/preflight.ts'
import { formatNative, formatTokenAmount } from '../../src/payments/units.ts'
import { guardRpc } from '../../src/payments/guardRpc.ts'
import { resolvePayee } from './resolvePayee.ts'

export async function runBalance(argv: PaymentsCliFlags & { node?: string | undefined; fromBlock?: number | undefined; json?: boolean | undefined }): Promise<void> {
  const { identity, config, client, relays } = paymentsCliContext(argv)
  const payee = argv.node ? await resolvePayee(argv.node, { relays, domain: { chainId: config.chainId, verifyingContract: config.settlementAddress } }) : undefined
  const address = config.settlementAddress
  await requireSettlementContract(client, address)
  const channels: { payee: Address; token: Address }[] = payee
    ? [{ payee, token: config.token }]
    : await listChannels(client, { address, payer: identity.address, fromBlock: BigInt(argv.fromBlock ?? 0) })
  const rows: { node: Address; token: string; deposit: bigint; claimed: bigint; available: bigint; epoch: number | bigint; withdrawAt: string }[] = []
  for (const ch of channels) {
    const c = await getChannel(client, { address, payer: identity.address, payee: ch.payee, token: ch.token })
    rows.push({ node: ch.payee, token: ch.token === zeroAddress ? 'native' : ch.token, deposit: c.deposit, claimed: c.claimed, available: c.available, epoch: c.epoch, withdrawAt: formatTime(c.withdrawAt) })
  }
  const wallet = await guardRpc(client, () => client.publicClient.getBalance({ address: identity.address }))
  if (argv.json) printJson({ address: identity.address, nativeBalance: wallet, channels: rows })
  else {
    process.stdout.write(`account ${identity.address}  native balance ${formatNative(wallet)}\n`)
    const show = (r: (typeof rows)[number], v: bigint) => formatTokenAmount(v, r.token)
    process.stdout.write(table(rows.map((r) => ({ ...r, deposit: show(r, r.deposit), claimed: show(r, r.claimed), available: show(r, r.available) }))) + '\n')
  }
}
