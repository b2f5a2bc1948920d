// End to end, a payer leaving (nips/cpr.md §6). The attack: a client deposits, is served, requests a withdrawal,
// waits out the delay and withdraws; if nobody redeems its newest receipt during the delay, the node loses what
// that receipt covered. Here the node is `infernet start` (spawned, priced, its chain RPC through a TCP proxy), the
// client pays with the SDK from its own home's key and uses the CLI for `infernet deposit` and `infernet withdraw`
// against anvil; time moves with evm_increaseTime. The node must redeem before the delay passes, so the client's
// withdraw gets only what is left; and when the node cannot reach the chain as the request comes, it must keep
// trying and redeem once the chain answers.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { bytesToHex } from '@noble/hashes/utils.js'
import { generateSecretKey } from 'nostr-tools/pure'
import { npubEncode } from 'nostr-tools/nip19'
import { privateKeyToAccount } from 'viem/accounts'
import { createReceiptBook } from '../../client/payments/receiptBook.ts'
import { receiptBookIssuer } from '../../client/receiptBookIssuer.ts'
import { identityFromSecretKey, keyPath, saveIdentity, type Identity } from '../../src/keys/identity.ts'
import { getChannel } from '../../src/payments/contract.ts'
import { createLocalSigner } from '../../src/signer.ts'
import { createTestClient, waitForLive } from '../helpers/client.ts'
import { startFakeOllama } from '../helpers/fakeBackends/ollama.ts'
import type { FakeBackendServer } from '../helpers/fakeBackends/pacer.ts'
import { model, waitFor } from '../helpers/network.ts'
import { spawnNodeProcess, type SpawnedNode } from '../helpers/node.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy.ts'
import { startTestChain, type TestChain } from '../payments/chain.ts'

const deposited = 1_000_000_000n

let chain: TestChain
let relay: TestRelay
let fake: FakeBackendServer
let proxy: TcpProxy
let node: SpawnedNode
let nodeIdentity: Identity
let dir: string
let nodeLog = ''

/** A home with a fresh key whose payment address has gas. */
async function home(name: string): Promise<{ path: string; identity: Identity }> {
  const path = join(dir, name)
  const identity = identityFromSecretKey(generateSecretKey())
  saveIdentity(keyPath(path), identity)
  await chain.actor(`0x${bytesToHex(identity.paymentSecretKey)}`)
  return { path, identity }
}

function cli(path: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/infernet.js', ...args],
      { env: { ...process.env, INFERNET_HOME: path, INFERNET_CHAIN_RPC: chain.anvil.rpcUrl, INFERNET_CHAIN_ID: String(chain.anvil.chainId), INFERNET_SETTLEMENT_ADDRESS: chain.settlement }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
  })
}
const lastJson = (s: string) => JSON.parse(s.trim().split('\n').at(-1)!) as Record<string, unknown>

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'infernet-withdrawal-'))
  chain = await startTestChain()
  relay = await startRelay()
  fake = await startFakeOllama({ models: [model] })
  proxy = await startTcpProxy(chain.anvil.rpcUrl)
  const n = await home('node')
  nodeIdentity = n.identity
  node = await spawnNodeProcess({
    relays: [relay.url],
    backendUrl: fake.url,
    backendKind: 'ollama',
    home: n.path,
    args: ['--price', '1000000,3000000'],
    env: {
      INFERNET_LOG_LEVEL: 'info',
      INFERNET_CHAIN_RPC: proxy.url,
      INFERNET_CHAIN_ID: String(chain.anvil.chainId),
      INFERNET_SETTLEMENT_ADDRESS: chain.settlement,
      INFERNET_CHAIN_TIMEOUT_MS: '2000',
      INFERNET_CREDIT_LIMIT: String(10n ** 15n),
      INFERNET_WITHDRAWAL_POLL_MS: '200',
      INFERNET_HEARTBEAT_INTERVAL: '5',
    },
  })
  node.child.stderr?.on('data', (d: Buffer) => (nodeLog += d.toString()))
})
after(async () => {
  await node?.stop()
  await proxy?.close()
  await fake?.close()
  await relay?.close()
  await chain?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** A client home that deposits through the CLI and is served three paid jobs; returns what it paid. */
async function servedClient(name: string) {
  const c = await home(name)
  const dep = await cli(c.path, ['deposit', String(deposited), '--node', npubEncode(node.pubkey), '--relay', relay.url, '--json'])
  assert.equal(dep.code, 0, dep.stderr)
  assert.equal(lastJson(dep.stdout).node, nodeIdentity.address)
  const book = createReceiptBook({ account: privateKeyToAccount(`0x${bytesToHex(c.identity.paymentSecretKey)}`), domain: chain.domain, budget: deposited })
  const acks: { job?: string | undefined; accepted?: boolean; reason?: string | undefined }[] = []
  const client = createTestClient({ relays: [relay.url], signer: createLocalSigner(c.identity.secretKey), receipts: receiptBookIssuer({ book, domain: chain.domain }), onReceiptAck: (a) => acks.push(a) })
  try {
    await waitForLive(client, [node.pubkey], { model, timeoutMs: 15_000 })
    let last = ''
    for (let i = 0; i < 3; i++) last = (await client.complete({ model, messages: [{ role: 'user', content: `paid job ${i}` }], routing: { pin: node.pubkey } })).jobs.at(-1)!.id
    // Acknowledged (the direct copy accepted, or refused not-increasing when the relay copy got there first).
    await waitFor(() => acks.some((a) => a.job === last) && client.unacknowledgedReceipts.length === 0, 'the node holds the newest receipt').catch((err: Error) => {
      throw new Error(`${err.message}; acks: ${JSON.stringify(acks)}`)
    })
    assert.ok(client.spent > 0n)
    return { ...c, spent: client.spent }
  } finally {
    await client.close()
  }
}

const claimed = async (payer: `0x${string}`) => (await getChannel(chain.deployer.client, { address: chain.settlement, payer, payee: nodeIdentity.address })).claimed

async function withdrawAfterDelay(client: { path: string; identity: Identity; spent: bigint }) {
  const channel = await getChannel(chain.deployer.client, { address: chain.settlement, payer: client.identity.address, payee: nodeIdentity.address })
  const block = await chain.deployer.client.publicClient.getBlock()
  assert.ok(block.timestamp < BigInt(channel.withdrawAt), 'the node redeemed before the delay passed')
  await chain.increaseTime(chain.withdrawDelay + 1)
  const done = await cli(client.path, ['withdraw', '--node', nodeIdentity.address, '--json'])
  assert.equal(done.code, 0, done.stderr)
  assert.equal(lastJson(done.stdout).step, 'withdrawn')
  assert.equal(lastJson(done.stdout).amount, String(deposited - client.spent), 'the client takes back only what it did not spend')
}

describe('e2e: withdrawals', () => {
  it('the node daemon redeems a leaving payer\'s receipt during the delay; the withdraw gets only what is left', async () => {
    const client = await servedClient('client-a')
    const req = await cli(client.path, ['withdraw', '--node', nodeIdentity.address, '--json'])
    assert.equal(req.code, 0, req.stderr)
    assert.equal(lastJson(req.stdout).step, 'requested')
    await waitFor(async () => (await claimed(client.identity.address)) === client.spent, 'the node redeemed the newest receipt', 20_000)
    // The chain can show the claim before the node's log line about it has been read from its output.
    await waitFor(() => /redeemed before withdrawal/.test(nodeLog), 'the node said it redeemed before the withdrawal')
    await withdrawAfterDelay(client)
  })

  it('the chain is down when the withdrawal is requested: the node keeps trying and redeems once it answers', async () => {
    const client = await servedClient('client-b')
    proxy.down()
    const req = await cli(client.path, ['withdraw', '--node', nodeIdentity.address, '--json'])
    assert.equal(lastJson(req.stdout).step, 'requested')
    // The node's looks at the chain fail (it says so, and backs off) while the request is pending.
    const failedLooks = () => nodeLog.split('cannot look for withdrawal requests; trying again').length - 1
    const before = failedLooks()
    await waitFor(() => failedLooks() >= before + 2, 'the node failed to reach the chain twice', 20_000)
    assert.equal(await claimed(client.identity.address), 0n)
    proxy.up()
    await waitFor(async () => (await claimed(client.identity.address)) === client.spent, 'the node redeemed once the chain answered', 30_000)
    await withdrawAfterDelay(client)
  })
})
