// A test client: the SDK with a deterministic key (testSigner(name)) and the `ws` WebSocket, short timeouts.
// Callers must `await client.close()` (use `after`/`t.after`).
import WebSocket from 'ws'
import type { WebSocketConstructor } from '../../src/net/relayPool.ts'
import { InfernetClient, type InfernetClientParameters } from '../../client/client.ts'
import { testSigner } from './keys.ts'

export type CreateTestClientParameters = Omit<InfernetClientParameters, 'signer'> & {
  /** Key name for testSigner; default 'client'. */
  name?: string | undefined
  signer?: InfernetClientParameters['signer'] | undefined
}

export function createTestClient({ name = 'client', signer, ...params }: CreateTestClientParameters): InfernetClient {
  return new InfernetClient({
    acceptTimeoutMs: 2000,
    firstTokenTimeoutMs: 5000,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    ...params,
    signer: signer ?? testSigner(name),
  })
}
