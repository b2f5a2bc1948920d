// Shared by the paid e2e tests: a dev chain (anvil) with the settlement contract, priced spawned nodes configured
// for it (INFERNET_CHAIN_RPC/CHAIN_ID/SETTLEMENT_ADDRESS/CREDIT_LIMIT + --price), funded payer accounts with one
// escrow channel per node, SDK clients that pay with receiptBookIssuer, and `infernet payout` run as a process
// with the node's INFERNET_HOME.
import { spawn } from 'node:child_process'
import { hexToBytes } from '@noble/hashes/utils.js'
import { parseEther, type Address, type Hash } from 'viem'
import type { InfernetClient } from '../../client/client.ts'
import { createReceiptBook, type ReceiptBook } from '../../client/payments/receiptBook.ts'
import { receiptBookIssuer } from '../../client/receiptBookIssuer.ts'
import { keyPath, loadIdentity } from '../../src/keys/identity.ts'
import { deposit, getChannel } from '../../src/payments/contract.ts'
import { createLocalSigner } from '../../src/signer.ts'
import { startTestChain, type Actor, type TestChain } from '../payments/chain.ts'
import { startTestNetwork, type NodeSpec, type TestNetwork } from '../helpers/network.ts'

export type PaidNetwork = {
  chain: TestChain
  net: TestNetwork
  /** Each node's payout address (its own key's address). */
  payees: Address[]
  /** A funded payer with a channel to every node, and an SDK client paying from it. */
  payer(name: string, params?: Parameters<TestNetwork['client']>[0]): Promise<{ actor: Actor; book: ReceiptBook; client: InfernetClient }>
  payout(nodeIndex: number, args?: string[]): Promise<PayoutJson>
  close(): Promise<void>
}

export type PayoutJson = {
  payee: string
  rows: { payer: string; cumulative: string; deposit: string; claimed: string; claimable: string; status: string; hash?: string }[]
  totals: { token: string; amount: string; gas: string; transactions: Hash[] }[]
}

export const escrowPerNode = parseEther('1')

export async function startPaidNetwork({ nodes, coordinators = 0, creditLimit = '1000000000000000' }: { nodes: NodeSpec[]; coordinators?: number; creditLimit?: string }): Promise<PaidNetwork> {
  const chain = await startTestChain()
  let net: TestNetwork | undefined
  try {
    const chainEnv = { INFERNET_CHAIN_RPC: chain.anvil.rpcUrl, INFERNET_CHAIN_ID: String(chain.anvil.chainId), INFERNET_SETTLEMENT_ADDRESS: chain.settlement }
    net = await startTestNetwork({ nodes, coordinators, env: { ...chainEnv, INFERNET_CREDIT_LIMIT: creditLimit } })
    const payees = net.nodes.map((n) => loadIdentity(keyPath(n.home)).address as Address)
    // Gas for the nodes' payout transactions.
    for (const p of payees) await chain.deployer.client.publicClient.request({ method: 'anvil_setBalance' as never, params: [p, `0x${parseEther('10').toString(16)}`] as never })
    const network = net
    return {
      chain,
      net: network,
      payees,
      async payer(name, params = {}) {
        const actor = await chain.actor()
        for (const payee of payees) await deposit(actor.client, { address: chain.settlement, payee, amount: escrowPerNode })
        const book = createReceiptBook({ account: actor.account, domain: chain.domain, budget: escrowPerNode })
        const client = network.client({ name, signer: createLocalSigner(hexToBytes(actor.key.slice(2))), receipts: receiptBookIssuer({ book, domain: chain.domain }), ...params })
        return { actor, book, client }
      },
      async payout(nodeIndex, args = []) {
        const node = network.nodes[nodeIndex]!
        const bin = new URL('../../bin/infernet.js', import.meta.url).pathname
        const child = spawn(process.execPath, [bin, 'payout', '--json', '--home', node.home, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...chainEnv, INFERNET_LOG_LEVEL: 'warn' } })
        let out = ''
        let err = ''
        child.stdout.on('data', (d: Buffer) => (out += d.toString()))
        child.stderr.on('data', (d: Buffer) => (err += d.toString()))
        const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
        if (code !== 0) throw new Error(`infernet payout exited ${code}\n${err}`)
        return JSON.parse(out.trim().split('\n').at(-1)!) as PayoutJson
      },
      async close() {
        try {
          await network.close()
        } finally {
          await chain.stop()
        }
      },
    }
  } catch (err) {
    await net?.close()
    await chain.stop()
    throw err
  }
}

/** The on-chain `claimed` of a (payer, payee) channel. */
export async function claimedOnChain(paid: PaidNetwork, payer: Address, payee: Address): Promise<bigint> {
  return (await getChannel(paid.chain.deployer.client, { address: paid.chain.settlement, payer, payee })).claimed
}

/** Gas paid (wei) by the given transactions. */
export async function gasPaid(paid: PaidNetwork, hashes: Hash[]): Promise<bigint> {
  let total = 0n
  for (const hash of hashes) {
    const r = await paid.chain.deployer.client.publicClient.getTransactionReceipt({ hash })
    total += r.gasUsed * r.effectiveGasPrice
  }
  return total
}
