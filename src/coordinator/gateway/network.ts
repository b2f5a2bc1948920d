// What the gateway needs from the network: run one chat and stream it. In production this is the client SDK
// (`InfernetClient`) holding the coordinator's own key; it gets its candidates from this coordinator through an
// in-process fetch (no HTTP to itself). The SDK's typed errors are mapped to gateway errors here.
import type { Price } from '../../protocol/schema.ts'
import type { Signer } from '../../signer.ts'
import type { Logger } from '../../log.ts'
import type { WebSocketConstructor } from '../../net/relayPool.ts'
import {
  AllCandidatesFailedError,
  BudgetExceededError,
  CancelledError,
  NoNodeForModelError,
  RequestTooLargeError,
  ResultVerificationError,
  StreamInterruptedError,
} from '../../../client/errors.ts'
import { InfernetClient, type ChatParameters } from '../../../client/client.ts'
import type { ReceiptIssuer } from '../../../client/receipts.ts'
import { CoordinatorError, errors } from '../errors.ts'
import type { GatewayResult } from './openai.ts'

export type GatewayChatStream = AsyncIterable<{ type: 'delta'; text: string }> & { result: Promise<GatewayResult>; cancel(): void }

export type GatewayNetwork = {
  chat(params: ChatParameters): GatewayChatStream
  close(): Promise<void>
}

export type CreateClientNetworkParameters = {
  relays: string[]
  signer: Signer
  WebSocket: WebSocketConstructor
  /** The coordinator's own app.fetch: the SDK lists candidates through it, in-process. */
  appFetch: (request: Request) => Response | Promise<Response>
  acceptTimeoutMs?: number | undefined
  maxPrice?: Price | undefined
  /** Candidates handed to the SDK per request (it re-verifies each one's signed events): the coordinator's best n. */
  candidateLimit?: number | undefined
  /** Signs the gateway's payment vouchers (CPR) for paid nodes; without it no receipts are sent. */
  receipts?: ReceiptIssuer | undefined
  logger?: Logger | undefined
}

/** Base URL the SDK is given for the in-process coordinator; never resolved on a network. */
export const inProcessOrigin = 'http://coordinator.in-process'

export function createClientNetwork({ relays, signer, WebSocket, appFetch, acceptTimeoutMs, maxPrice, candidateLimit = 3, receipts, logger }: CreateClientNetworkParameters): GatewayNetwork {
  const fetchInProcess = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    if (url.pathname === '/api/v1/nodes' && url.searchParams.has('model') && !url.searchParams.has('limit')) {
      // The best few only (the SDK re-verifies each), the first drawn among the best k so that concurrent
      // requests spread over several nodes instead of all going to the single best one.
      url.searchParams.set('limit', String(candidateLimit))
      url.searchParams.set('pick', '1')
      return appFetch(new Request(url, request))
    }
    return appFetch(request)
  }) as typeof fetch
  const client = new InfernetClient({ relays, signer, WebSocket, coordinator: inProcessOrigin, fetch: fetchInProcess, acceptTimeoutMs, maxPrice, receipts, logger })
  return {
    chat: (params) => client.chat(params),
    close: () => client.close(),
  }
}

/** Turns the SDK's typed errors into gateway errors (status, OpenAI code, retry-after). */
export function mapNetworkError(err: unknown, model: string): unknown {
  if (err instanceof CoordinatorError) return err
  if (err instanceof NoNodeForModelError) return errors.noCapacity(model)
  if (err instanceof AllCandidatesFailedError) return errors.upstream(`Every node tried for \`${model}\` failed: ${err.failures.map((f) => f.reason).join('; ')}`, 503, 'all_nodes_failed', 2)
  if (err instanceof BudgetExceededError) return errors.insufficientQuota()
  if (err instanceof RequestTooLargeError) return new CoordinatorError(err.shortMessage, { status: 400, code: 'context_length_exceeded', param: 'messages' })
  if (err instanceof StreamInterruptedError) return errors.upstream(err.shortMessage, 502, 'stream_interrupted')
  if (err instanceof ResultVerificationError) return errors.upstream(err.shortMessage, 502, 'result_verification_failed')
  if (err instanceof CancelledError) return new CoordinatorError('The request was cancelled.', { status: 400, code: 'cancelled' })
  return err
}
