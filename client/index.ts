// The SDK's public surface: what `@infernet/sdk` exports (packages/sdk, built by `npm run build:packages`).
// Isomorphic like the rest of client/: nothing here or below imports a Node built-in, so the same module serves
// Node (pass `WebSocket` from `ws` where there is no global one, as on Node 20) and browsers.
export { InfernetClient, createInfernetClient } from './client.ts'
export type {
  ChatDelta,
  ChatErrorType,
  ChatJob,
  ChatMessage,
  ChatParameters,
  ChatResult,
  ChatReturnType,
  ChatStream,
  EmbedErrorType,
  EmbedParameters,
  EmbedReturnType,
  InfernetClientParameters,
  Logger,
  MarketModel,
  MarketNode,
  NodeSource,
  Price,
  RoutingPolicy,
  WebSocketConstructor,
} from './client.ts'
export {
  AllCandidatesFailedError,
  BudgetExceededError,
  CancelledError,
  ClientClosedError,
  DepositExhaustedError,
  InvalidChatRequestError,
  InvalidEmbeddingRequestError,
  InvalidRoutingPolicyError,
  NoNodeForModelError,
  RelaysUnreachableError,
  RequestRejectedError,
  RequestTooLargeError,
  ResultVerificationError,
  StreamInterruptedError,
  UnsupportedFeatureError,
} from './errors.ts'
export type { CandidateFailure, UnreachableRelay } from './errors.ts'
export { BaseError } from '../src/errors/base.ts'
export type { ReceiptIssuer, ReceiptRequest } from './receipts.ts'
export { createLocalSigner, createNip07Signer } from '../src/signer.ts'
export type { LocalSigner, LocalSignerOptions, Nip07Provider, Nip44Cipher, Signer } from '../src/signer.ts'
// A key to sign with (keep it to keep your identity and your payment channels) and its public half.
export { generateSecretKey, getPublicKey } from 'nostr-tools/pure'
