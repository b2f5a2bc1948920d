// Shared fixture for payment tests: one anvil per test file, the settlement contract and a test ERC-20 deployed,
// and fresh funded accounts on demand.
import { parseEther, zeroAddress } from 'viem'
import type { Address, Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import type { PrivateKeyAccount } from 'viem/accounts'
import { testTokenAbi, testTokenBytecode } from '../../src/contracts/testTokenAbi.ts'
import { createSettlementClient } from '../../src/payments/clients.ts'
import type { SettlementClient } from '../../src/payments/clients.ts'
import { deploySettlement } from '../../src/payments/contract.ts'
import type { PaymentsConfig } from '../../src/payments/config.ts'
import type { SettlementDomain } from '../../src/payments/voucher.ts'
import { startAnvil } from '../helpers/anvil.ts'
import type { Anvil } from '../helpers/anvil.ts'

export type Actor = { key: Hex; account: PrivateKeyAccount; address: Address; client: SettlementClient }

export type TestChain = {
  anvil: Anvil
  config: PaymentsConfig
  settlement: Address
  token: Address
  domain: SettlementDomain
  deployer: Actor
  withdrawDelay: number
  actor(key?: Hex): Promise<Actor>
  mint(to: Address, amount: bigint): Promise<void>
  increaseTime(seconds: number): Promise<void>
  balanceOf(token: Address, who: Address): Promise<bigint>
  stop(): Promise<void>
}

export async function startTestChain({ withdrawDelay = 3600 }: { withdrawDelay?: number } = {}): Promise<TestChain> {
  const anvil = await startAnvil()
  const base = { chainRpc: anvil.rpcUrl, chainId: anvil.chainId, rpcTimeoutMs: 5_000 }
  const makeActor = (key: Hex): Actor => {
    const account = privateKeyToAccount(key)
    return { key, account, address: account.address, client: createSettlementClient(base, account) }
  }
  const deployer = makeActor(anvil.accounts[0]!)
  const { address: settlement } = await deploySettlement(deployer.client, { withdrawDelay })
  const w = deployer.client.walletClient!
  const pc = deployer.client.publicClient
  const tokenTx = await w.deployContract({ abi: testTokenAbi, bytecode: testTokenBytecode })
  const token = (await pc.waitForTransactionReceipt({ hash: tokenTx })).contractAddress!
  const config: PaymentsConfig = { ...base, settlementAddress: settlement, token: zeroAddress }
  return {
    anvil,
    config,
    settlement,
    token,
    domain: { chainId: anvil.chainId, verifyingContract: settlement },
    deployer,
    withdrawDelay,
    async actor(key = generatePrivateKey()) {
      const a = makeActor(key)
      await pc.request({ method: 'anvil_setBalance' as never, params: [a.address, `0x${parseEther('1000').toString(16)}`] as never })
      return a
    },
    async mint(to, amount) {
      const hash = await w.writeContract({ address: token, abi: testTokenAbi, functionName: 'mint', args: [to, amount] })
      await pc.waitForTransactionReceipt({ hash })
    },
    async increaseTime(seconds) {
      await pc.request({ method: 'evm_increaseTime' as never, params: [seconds] as never })
      await pc.request({ method: 'evm_mine' as never, params: [] as never })
    },
    async balanceOf(t, who) {
      if (t === zeroAddress) return pc.getBalance({ address: who })
      return pc.readContract({ address: t, abi: testTokenAbi, functionName: 'balanceOf', args: [who] })
    },
    stop: () => anvil.stop(),
  }
}

const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

/** The malleable twin of a signature: s -> n - s, v flipped. Recovers the same signer. */
export function highS(signature: Hex): Hex {
  const r = signature.slice(2, 66)
  const s = BigInt(`0x${signature.slice(66, 130)}`)
  const v = parseInt(signature.slice(130, 132), 16)
  return `0x${r}${(n - s).toString(16).padStart(64, '0')}${(v === 27 ? 28 : 27).toString(16)}`
}
