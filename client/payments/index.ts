// `@infernet/sdk/payments`: what a client needs to pay nodes with Compute Payment Receipts (nips/cpr.md), apart from
// the SDK's entry so that the chat client does not pull in viem (a peer dependency, needed only here). A receipt book
// signs cumulative receipts (EIP-712) within a budget; receiptBookIssuer plugs it into `new InfernetClient({ receipts })`,
// paying after each job or, for nodes that serve only prepaid work, ahead of it. Keep the book's state in a
// ChannelStore of your own (the CLI's is SQLite, src/payments/receiptStore.ts) so the cumulative never goes back.
export { createReceiptBook } from './receiptBook.ts'
export type { AbsorbParameters, PayJobParameters, PrepayParameters, ReceiptBook, ReceiptBookParameters } from './receiptBook.ts'
export { channelTerms, receiptBookIssuer } from '../receiptBookIssuer.ts'
export type { ReceiptBookIssuerParameters } from '../receiptBookIssuer.ts'
export { receiptFromJson, receiptToJson, verifyReceipt } from '../../src/payments/voucher.ts'
export type { Receipt, SettlementDomain, SignedReceipt, SignedReceiptJson, VerifyReceiptResult } from '../../src/payments/voucher.ts'
export type { ChannelStore, StoredChannel } from '../../src/payments/channelStore.ts'
export { ReceiptBudgetExceededError } from '../../src/payments/errors.ts'
