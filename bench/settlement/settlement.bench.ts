// Settlement figures on a real anvil chain, each beside a baseline measured in the same run:
//  1. gas of one payout (redeem) covering 1, 100 and N jobs (must be equal: the contract keeps no history)
//     vs a plain native transfer;
//  2. gas per receipt in redeemBatch for 1, 5 and 20 payers vs a single redeem;
//  3. receipts signed and verified per second (viem local account) vs hashTypedData alone.
// Sizes: BENCH_SETTLEMENT_JOBS (default 10000) for the largest payout, BENCH_SETTLEMENT_SIGN (default 2000)
// for the signing loop.
import { hexToBytes, keccak256, parseEther, toHex, zeroAddress } from 'viem'
import type { Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { createSettlementClient } from '../../src/payments/clients.ts'
import { deploySettlement, deposit, redeem, redeemBatch } from '../../src/payments/contract.ts'
import { hashReceipt, initialReceipt, nextReceipt, signReceipt, verifyReceipt } from '../../src/payments/voucher.ts'
import type { Receipt, SettlementDomain, SignedReceipt } from '../../src/payments/voucher.ts'
import { startAnvil } from '../../test/helpers/anvil.ts'

const maxJobs = Number(process.env.BENCH_SETTLEMENT_JOBS ?? 10_000)
const signCount = Number(process.env.BENCH_SETTLEMENT_SIGN ?? 2_000)

const anvil = await startAnvil()
try {
  const config = { chainRpc: anvil.rpcUrl, chainId: anvil.chainId, rpcTimeoutMs: 10_000 }
  const deployer = createSettlementClient(config, privateKeyToAccount(anvil.accounts[0]!))
  const relayer = createSettlementClient(config, privateKeyToAccount(anvil.accounts[1]!))
  const payee = privateKeyToAccount(anvil.accounts[2]!).address
  const { address } = await deploySettlement(deployer, { withdrawDelay: 3600 })
  const domain: SettlementDomain = { chainId: anvil.chainId, verifyingContract: address }
  const pc = deployer.publicClient

  const newPayer = async () => {
    const account = privateKeyToAccount(generatePrivateKey())
    await pc.request({ method: 'anvil_setBalance' as never, params: [account.address, toHex(parseEther('100'))] as never })
    const client = createSettlementClient(config, account)
    await deposit(client, { address, payee, amount: 10n ** 18n })
    return account
  }
  const receiptOf = async (account: ReturnType<typeof privateKeyToAccount>, jobs: number): Promise<SignedReceipt> => {
    let r: Receipt = initialReceipt({ payer: account.address, payee, token: zeroAddress, epoch: 0 })
    for (let i = 0; i < jobs; i++) r = nextReceipt(r, { jobId: keccak256(toHex(`job-${i}`)), amount: 1_000_000_000n + BigInt(i % 7) })
    return signReceipt(account, r, domain)
  }
  const intrinsic = async (hash: Hex) => {
    const tx = await pc.getTransaction({ hash })
    const bytes = hexToBytes(tx.input)
    const zeros = bytes.filter((b) => b === 0).length
    return 21_000n + BigInt(zeros * 4 + (bytes.length - zeros) * 16)
  }

  // Baseline: a plain native transfer, first to a fresh payee-like account (cold but existing).
  const transferHash = await relayer.walletClient!.sendTransaction({ to: payee, value: 1n })
  const transferGas = (await pc.waitForTransactionReceipt({ hash: transferHash })).gasUsed
  console.log(`\n1. one payout (redeem) covering N jobs — baseline: plain native transfer ${transferGas} gas`)
  console.log('   jobs      gasUsed   execution (gasUsed - 21000 - calldata)')
  for (const jobs of [1, 100, maxJobs]) {
    const payer = await newPayer()
    const r = await redeem(relayer, { address, receipt: await receiptOf(payer, jobs) })
    console.log(`   ${String(jobs).padEnd(8)}  ${String(r.gasUsed).padEnd(8)}  ${r.gasUsed - (await intrinsic(r.hash))}`)
  }

  console.log('\n2. redeemBatch gas per receipt (one payee, native coin) — baseline: single redeem per receipt')
  const single = await redeem(relayer, { address, receipt: await receiptOf(await newPayer(), 10) })
  console.log(`   single redeem: ${single.gasUsed} gas/receipt`)
  console.log('   payers   total gas   gas/receipt   vs single')
  for (const n of [1, 5, 20]) {
    const receipts: SignedReceipt[] = []
    for (let i = 0; i < n; i++) receipts.push(await receiptOf(await newPayer(), 10))
    const b = await redeemBatch(relayer, { address, payee, token: zeroAddress, receipts })
    const per = b.gasUsed / BigInt(n)
    console.log(`   ${String(n).padEnd(7)}  ${String(b.gasUsed).padEnd(10)}  ${String(per).padEnd(12)}  ${((Number(per) / Number(single.gasUsed)) * 100).toFixed(0)}%`)
  }

  console.log(`\n3. receipts per second, viem local account, ${signCount} receipts`)
  const account = privateKeyToAccount(generatePrivateKey())
  let r: Receipt = initialReceipt({ payer: account.address, payee, token: zeroAddress, epoch: 0 })
  const chain: Receipt[] = []
  for (let i = 0; i < signCount; i++) chain.push((r = nextReceipt(r, { jobId: keccak256(toHex(i)), amount: 1n })))
  let t = performance.now()
  for (const x of chain) hashReceipt(x, domain)
  const hashRate = signCount / ((performance.now() - t) / 1000)
  t = performance.now()
  const signed: SignedReceipt[] = []
  for (const x of chain) signed.push(await signReceipt(account, x, domain))
  const signRate = signCount / ((performance.now() - t) / 1000)
  t = performance.now()
  for (const s of signed) if (!(await verifyReceipt(s, domain)).ok) throw new Error('verify failed')
  const verifyRate = signCount / ((performance.now() - t) / 1000)
  console.log(`   baseline hashTypedData: ${hashRate.toFixed(0)}/s`)
  console.log(`   signReceipt:            ${signRate.toFixed(0)}/s`)
  console.log(`   verifyReceipt:          ${verifyRate.toFixed(0)}/s`)
} finally {
  await anvil.stop()
}
