// The payment commands as a user runs them: `node bin/infernet.js …` against anvil.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { bytesToHex, hexToBytes, keccak256, toHex } from 'viem'
import { generateSecretKey } from 'nostr-tools/pure'
import { createReceiptBook } from '../../client/payments/receiptBook.ts'
import { createReceiptWallet, receiptWalletPath } from '../../node/wallet/receiptWallet.ts'
import { identityFromSecretKey, keyPath, saveIdentity } from '../../src/keys/identity.ts'
import { startTestChain } from './chain.ts'
import type { Actor, TestChain } from './chain.ts'

let chain: TestChain
let dir: string
let node: Actor
const homes = { client: '', node: '' }
/** Each home's Nostr secret key; the actors are the payment keys derived from them (what the CLI pays and is paid with). */
const secrets = { client: generateSecretKey(), node: generateSecretKey() }

before(async () => {
  chain = await startTestChain()
  dir = mkdtempSync(join(tmpdir(), 'infernet-cli-'))
  for (const name of ['client', 'node'] as const) {
    homes[name] = join(dir, name)
    const identity = identityFromSecretKey(secrets[name])
    saveIdentity(keyPath(homes[name]), identity)
    const actor = await chain.actor(bytesToHex(identity.paymentSecretKey))
    if (name === 'node') node = actor
  }
})
after(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  await chain?.stop()
})

function cli(home: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/infernet.js', ...args],
      {
        env: { ...process.env, INFERNET_HOME: home, INFERNET_CHAIN_RPC: chain.anvil.rpcUrl, INFERNET_CHAIN_ID: String(chain.anvil.chainId), INFERNET_SETTLEMENT_ADDRESS: chain.settlement, ...env },
        timeout: 30_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
  })
}

const json = (s: string) => JSON.parse(s.trim().split('\n').at(-1)!)

test('deposit, balance, withdraw (request, pending, complete) through the CLI', async () => {
  const dep = await cli(homes.client, ['deposit', '5000', '--node', node.address, '--json'])
  assert.equal(dep.code, 0, dep.stderr)
  assert.equal(json(dep.stdout).step, 'deposited')
  assert.equal(json(dep.stdout).deposit, '5000')

  const bal = await cli(homes.client, ['balance', '--json'])
  assert.equal(bal.code, 0, bal.stderr)
  const channels = json(bal.stdout).channels
  assert.equal(channels.length, 1)
  assert.equal(channels[0].node, node.address)
  assert.equal(channels[0].available, '5000')

  const table = await cli(homes.client, ['balance'])
  assert.match(table.stdout, /NODE\s+TOKEN\s+DEPOSIT/)
  // In the coin's units for a person; base units stay in --json.
  assert.match(table.stdout, /^account 0x[0-9a-fA-F]{40} {2}native balance [\d.]+ ETH$/m)
  assert.match(table.stdout, new RegExp(`${node.address}\\s+native\\s+5000 wei\\s+0 ETH\\s+5000 wei`))

  const w1 = await cli(homes.client, ['withdraw', '--node', node.address, '--json'])
  assert.equal(w1.code, 0, w1.stderr)
  assert.equal(json(w1.stdout).step, 'requested')
  const w2 = await cli(homes.client, ['withdraw', '--node', node.address, '--json'])
  assert.equal(json(w2.stdout).step, 'pending')
  await chain.increaseTime(chain.withdrawDelay + 1)
  const w3 = await cli(homes.client, ['withdraw', '--node', node.address, '--json'])
  assert.equal(w3.code, 0, w3.stderr)
  assert.deepEqual([json(w3.stdout).step, json(w3.stdout).amount, json(w3.stdout).newEpoch], ['withdrawn', '5000', 1])
})

test('payout through the CLI: dry run, then one transaction; nothing left after', async () => {
  const payer = await chain.actor()
  const { deposit } = await import('../../src/payments/contract.ts')
  await deposit(payer.client, { address: chain.settlement, payee: node.address, amount: 1_000n })
  const wallet = createReceiptWallet({ path: receiptWalletPath(homes.node), payee: node.address, domain: chain.domain, client: node.client })
  const book = createReceiptBook({ account: payer.account, domain: chain.domain, budget: 1_000n })
  for (let i = 0; i < 3; i++) assert.equal((await wallet.accept(await book.pay({ payee: node.address, jobId: keccak256(toHex(i)), amount: 100n }), { amountDue: 100n })).ok, true)
  wallet.close()
  const dry = await cli(homes.node, ['payout', '--dry-run', '--json'])
  assert.equal(dry.code, 0, dry.stderr)
  assert.equal(json(dry.stdout).totals[0].amount, '300')
  assert.equal(json(dry.stdout).totals[0].transactions.length, 0)
  const real = await cli(homes.node, ['payout'])
  assert.equal(real.code, 0, real.stderr)
  assert.match(real.stdout, /redeemed 300 native/)
  const again = await cli(homes.node, ['payout', '--json'])
  assert.equal(json(again.stdout).rows[0].status, 'nothing')
})

test('RPC down: the command says so, exits non-zero, and changes nothing', async () => {
  const res = await cli(homes.client, ['deposit', '10', '--node', node.address], { INFERNET_CHAIN_RPC: 'http://127.0.0.1:9' })
  assert.equal(res.code, 1)
  assert.match(res.stderr, /did not answer; nothing was changed/)
  const bad = await cli(homes.client, ['deposit', '10', '--node', 'npub1xyz'])
  assert.equal(bad.code, 1)
  assert.match(bad.stderr, /payout address/)
})

test('deposit --node <npub>: the payout address comes from the node\'s signed capability, checked by its payee proof', async (t) => {
  const { startRelay } = await import('../helpers/relay.ts')
  const { createLocalSigner } = await import('../../src/signer.ts')
  const { buildCapability } = await import('../../src/protocol/capability.ts')
  const { signPayeeLink } = await import('../../src/payments/payeeLink.ts')
  const { privateKeyToAccount } = await import('viem/accounts')
  const { exampleCapability } = await import('../vectors/examples.ts')
  const { npubEncode } = await import('nostr-tools/nip19')
  const relay = await startRelay()
  t.after(() => relay.close())
  const signer = createLocalSigner(secrets.node)
  const account = privateKeyToAccount(node.key)
  const terms = { chainId: chain.anvil.chainId, contract: chain.settlement, token: '0x0000000000000000000000000000000000000000', payee: account.address, creditLimit: '0' }
  const publish = async (payment: typeof terms & { payeeProof: string }) => {
    const { connect } = await import('../helpers/nostrClient.ts')
    const ws = await connect(relay.url)
    const event = await buildCapability(signer, { ...exampleCapability, payment })
    assert.ok((await ws.publish(event)).ok)
    ws.close()
  }
  // A proof signed for another key does not link the address: refused.
  await publish({ ...terms, payeeProof: await signPayeeLink(account, 'ab'.repeat(32)) })
  const refused = await cli(homes.client, ['deposit', '7', '--node', npubEncode(signer.pubkey), '--relay', relay.url])
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /no valid proof linking it/)
  await new Promise((r) => setTimeout(r, 1100)) // a newer created_at replaces the addressable event
  await publish({ ...terms, payeeProof: await signPayeeLink(account, signer.pubkey) })
  const ok = await cli(homes.client, ['deposit', '7', '--node', npubEncode(signer.pubkey), '--relay', relay.url, '--json'])
  assert.equal(ok.code, 0, ok.stderr)
  assert.equal(json(ok.stdout).node, account.address)
})

test('an unfunded account and a wrong contract address each get one line that says so, before anything is sent', async () => {
  const broke = join(dir, 'broke')
  saveIdentity(keyPath(broke), identityFromSecretKey(hexToBytes(keccak256(toHex('an account anvil never funded')))))
  const dep = await cli(broke, ['deposit', '10', '--node', node.address])
  assert.equal(dep.code, 1)
  assert.match(dep.stderr, new RegExp(`^Error: The account 0x[0-9a-fA-F]{40} has 0 ETH on chain ${chain.anvil.chainId}: fund it with at least 0\\.00000000000000001 ETH plus gas\\.`))
  assert.ok(dep.stderr.trim().split('\n').length <= 3, dep.stderr)
  assert.doesNotMatch(dep.stderr, /Request Arguments|Version: viem/)

  const nowhere = await cli(homes.client, ['balance', '--contract', '0x0000000000000000000000000000000000000001'])
  assert.equal(nowhere.code, 1)
  assert.match(nowhere.stderr, new RegExp(`^Error: There is no settlement contract at 0x0{39}1 on chain ${chain.anvil.chainId} \\(no code at that address\\)\\.`))
  assert.equal(nowhere.stdout, '', 'no empty table as if the account had no channels')
  const notOurs = await cli(homes.client, ['deposit', '10', '--node', node.address, '--contract', '0x' + '0'.repeat(39) + '1'])
  assert.match(notOurs.stderr, /no settlement contract/)
})

test('payout: a batch that fails exits non-zero and says why; the rows still show what was tried', async () => {
  // A node key whose payment address holds no coin for gas: the redeem transaction cannot be paid for.
  const broke = identityFromSecretKey(generateSecretKey())
  const brokeHome = join(dir, 'broke-node')
  saveIdentity(keyPath(brokeHome), broke)
  const payer = await chain.actor()
  const { deposit } = await import('../../src/payments/contract.ts')
  await deposit(payer.client, { address: chain.settlement, payee: broke.address, amount: 1_000n })
  const wallet = createReceiptWallet({ path: receiptWalletPath(brokeHome), payee: broke.address, domain: chain.domain, client: node.client })
  const book = createReceiptBook({ account: payer.account, domain: chain.domain, budget: 1_000n })
  assert.equal((await wallet.accept(await book.pay({ payee: broke.address, jobId: keccak256(toHex('broke')), amount: 100n }), { amountDue: 100n })).ok, true)
  wallet.close()
  const res = await cli(brokeHome, ['payout', '--json'])
  assert.equal(res.code, 1, `exit code ${res.code}\n${res.stdout}\n${res.stderr}`)
  assert.equal(json(res.stdout).rows[0].status, 'failed')
  assert.match(res.stderr, /Redeeming failed for 1 payer/)
  assert.match(res.stderr, /funds|gas/i)
  const table = await cli(brokeHome, ['payout'])
  assert.equal(table.code, 1)
  assert.match(table.stdout, /failed/)
})
