// Payments for a priced node started from the CLI: the receipt wallet under $INFERNET_HOME, the wallet-backed
// PaymentGate, the capability's `payment` terms, and the withdrawal watch the daemon runs (it redeems a leaving
// payer's receipts with the node's payment key, which pays the gas). A free node (price 0) or one without a settlement contract
// configured (INFERNET_SETTLEMENT_ADDRESS) serves without receipts.
import { bytesToHex } from '@noble/hashes/utils.js'
import { getAddress, isAddress } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { BaseError } from '../../src/errors/base.ts'
import type { Identity } from '../../src/keys/identity.ts'
import type { Logger } from '../../src/log.ts'
import { createSettlementClient } from '../../src/payments/clients.ts'
import { loadPaymentsConfig } from '../../src/payments/config.ts'
import { signPayeeLink } from '../../src/payments/payeeLink.ts'
import type { CapabilityContent } from '../../src/protocol/capability.ts'
import { isFree } from '../../src/protocol/price.ts'
import type { Signer } from '../../src/signer.ts'
import { join } from 'node:path'
import { nodeDataDir, nodePrice, type NodeConfig } from '../config.ts'
import { openPaymentLedger } from '../paymentLedger.ts'
import type { PaymentGate } from '../paymentGate.ts'
import { watchWithdrawals } from '../payout/watchWithdrawals.ts'
import { createReceiptWallet, receiptWalletPath } from '../wallet/receiptWallet.ts'
import { createWalletPaymentGate } from '../walletPaymentGate.ts'

export type NodePayments = {
  gate: PaymentGate
  terms: NonNullable<CapabilityContent['payment']>
  /** Starts watching for withdrawal requests (node/payout/watchWithdrawals.ts); returns the function that stops it. */
  watchWithdrawals(): () => void
  close(): void
}

export async function setupNodePayments({ home, identity, config, signer, logger }: { home: string; identity: Identity; config: NodeConfig; signer: Signer; logger: Logger }): Promise<NodePayments | undefined> {
  if (isFree(nodePrice(config))) return undefined
  let chain
  try {
    chain = loadPaymentsConfig()
  } catch (err) {
    logger.warn('priced node without a settlement contract: serving without receipts', { hint: 'set INFERNET_SETTLEMENT_ADDRESS', error: (err as BaseError).shortMessage ?? (err as Error).message })
    return undefined
  }
  const own = privateKeyToAccount(`0x${bytesToHex(identity.paymentSecretKey)}`)
  // The Nostr key's own address (where a node paid before payment keys were derived) can still be named, and we sign its proof.
  const nostrAccount = privateKeyToAccount(`0x${bytesToHex(identity.secretKey)}`)
  const payee = config.payoutAddress ? config.payoutAddress : own.address
  if (!isAddress(payee, { strict: false })) throw new BaseError(`Invalid payout address "${payee}".`, { metaMessages: ['Set INFERNET_PAYOUT_ADDRESS to a 0x-prefixed address.'] })
  let payeeProof = config.payeeProof
  if (getAddress(payee) === own.address) payeeProof = await signPayeeLink(own, identity.pubkey)
  else if (getAddress(payee) === nostrAccount.address) payeeProof = await signPayeeLink(nostrAccount, identity.pubkey)
  else if (!/^0x[0-9a-fA-F]{130}$/.test(payeeProof)) {
    throw new BaseError('A separate payout address needs its proof.', {
      metaMessages: [`Sign the message "infernet:payee:${identity.pubkey}" with the payout address (EIP-191 personal_sign)`, 'and set INFERNET_PAYEE_PROOF to the signature.'],
    })
  }
  const domain = { chainId: chain.chainId, verifyingContract: chain.settlementAddress }
  const wallet = createReceiptWallet({ path: receiptWalletPath(home), payee: getAddress(payee), domain, client: createSettlementClient(chain), tokens: [chain.token], creditLimit: BigInt(config.creditLimit), logger: logger.child('[wallet]') })
  const ledger = openPaymentLedger(join(nodeDataDir(home), 'payments.sqlite'))
  const gate = createWalletPaymentGate({
    wallet,
    signer,
    token: chain.token,
    creditLimit: BigInt(config.creditLimit),
    newClientCredit: BigInt(config.newClientCredit || config.creditLimit),
    logger: logger.child('[payments]'),
    ledger,
  })
  return {
    gate,
    terms: { chainId: chain.chainId, contract: chain.settlementAddress, token: chain.token, payee: getAddress(payee), payeeProof, creditLimit: config.creditLimit },
    watchWithdrawals: () =>
      watchWithdrawals({ client: createSettlementClient(chain, own), address: chain.settlementAddress, payee: getAddress(payee), wallet, pollMs: config.withdrawalPollMs, logger: logger.child('[withdrawals]') }),
    close: () => {
      gate.close()
      ledger.close()
      wallet.close()
    },
  }
}
