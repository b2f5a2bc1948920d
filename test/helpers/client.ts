// A test client: the SDK with a deterministic key (testSigner(name)) and the `ws` WebSocket, short timeouts.
// Callers must `await client.close()` (use `after`/`t.after`).
import WebSocket from 'ws'
import type { WebSocketConstructor } from '../../src/net/relayPool.ts'
import { InfernetClient, type InfernetClientParameters } from '../../client/client.ts'
import { testSigner } from './keys.ts'
import { scaled } from './timeScale.ts'

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

/**
 * Waits until every given node is live on the client's market (heartbeats are published asynchronously).
 * `timeoutMs` is for an idle machine and stretches with the load (timeScale.ts).
 */
export async function waitForLive(client: InfernetClient, pubkeys: string[], { model, timeoutMs: idleTimeoutMs = 5000 }: { model?: string; timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = scaled(idleTimeoutMs)
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const live = new Set((await client.nodes(model === undefined ? {} : { model })).filter((n) => n.live).map((n) => n.pubkey))
    const missing = pubkeys.filter((p) => !live.has(p))
    if (missing.length === 0) return
    if (Date.now() > deadline) throw new Error(`nodes not live on the market within ${timeoutMs} ms: ${missing.map((p) => p.slice(0, 12)).join(', ')}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
