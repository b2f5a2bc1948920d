// The two sides of an audit job (runAudit.ts): the node, through the SDK from a key made for that one job (so no two
// audit jobs, and no audit job and its auditor, share a key in public), and the reference, either an engine's
// OpenAI-compatible endpoint loaded with the weights under test or another node announcing the same digest.
import { generateSecretKey } from 'nostr-tools/pure'
import type { WebSocketConstructor } from '../../src/net/relayPool.ts'
import type { Logger } from '../../src/log.ts'
import { createLocalSigner } from '../../src/signer.ts'
import { InfernetClient } from '../client.ts'
import type { AuditRunner } from './runAudit.ts'

export type NodeRunnerParameters = {
  relays: string[]
  node: string
  WebSocket?: WebSocketConstructor | undefined
  acceptTimeoutMs?: number | undefined
  logger?: Logger | undefined
}

/** Each job from a fresh key, pinned to `node`, one attempt, no resumption elsewhere: the audit is of that node. */
export function nodeRunner({ relays, node, WebSocket, acceptTimeoutMs, logger }: NodeRunnerParameters): AuditRunner {
  return async ({ model, messages, params }) => {
    let job: string | undefined
    const client = new InfernetClient({ relays, signer: createLocalSigner(generateSecretKey()), WebSocket, routing: { pin: node }, maxAttempts: 1, resume: false, acceptTimeoutMs, logger })
    try {
      await client.ready()
      const result = await client.complete({ model, messages, params })
      job = result.jobs.at(-1)?.id
      return { job, text: result.text }
    } catch (err) {
      // The job id, when the job was sent: a node that failed an audit job is named in the verdict all the same.
      throw Object.assign(err as Error, { job: (err as { jobs?: { id: string }[] }).jobs?.at(-1)?.id ?? job })
    } finally {
      await client.close()
    }
  }
}

/** An engine's POST /v1/chat/completions (llama-server, vLLM, ...), non-streaming, the job's parameters as they are. */
export function engineRunner({ url, fetch: fetchFn = globalThis.fetch, model }: { url: string; fetch?: typeof fetch | undefined; model?: string | undefined }): AuditRunner {
  return async ({ model: asked, messages, params }) => {
    const res = await fetchFn(`${url.replace(/\/$/, '')}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: model ?? asked, messages, ...params, stream: false }),
    })
    if (!res.ok) throw new Error(`the reference engine at ${url} answered ${res.status}: ${(await res.text()).slice(0, 200)}`)
    const body = (await res.json()) as { choices?: { message?: { content?: unknown } }[] }
    const text = body.choices?.[0]?.message?.content
    if (typeof text !== 'string') throw new Error(`the reference engine at ${url} answered no message content`)
    return { text }
  }
}
